"""STREAK rules: a rule's period (WEEK or MONTH), what each period measures, and the minimum a
period must hold (null: at least 1). Streak periods themselves are folded from the activity
log, so no table holds them."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0006_grant_lookup')]

    initial = False

    operations = [
        ops.AddField(
            model_name='MilestoneRule',
            name='streak_period',
            field=fields.CharField(null=True, max_length=16),
        ),
        ops.AddField(
            model_name='MilestoneRule',
            name='streak_metric',
            field=fields.CharField(null=True, max_length=32),
        ),
        ops.AddField(
            model_name='MilestoneRule',
            name='streak_minimum',
            field=fields.BigIntField(null=True),
        ),
    ]
