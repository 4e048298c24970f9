"""An index on issued_rewards (customer_id, rule_id): an activity reads its customer's grants
on the rules it feeds in the same statement as their progress (engine/store/rules.py), and
without it SQLite's planner scanned every grant of each rule through the unique index, whose
first column is the rule."""

from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0005_reporting_indexes')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='IssuedReward',
            index=Index(fields=['customer_id', 'rule_id']),
        ),
    ]
