"""Customer's-choice rewards: a milestone's reward options and the days to choose, and on an
issued reward the options offered, the deadline, and the option chosen."""

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0007_streaks')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Milestone',
            name='reward_options',
            field=fields.JSONField(null=True),
        ),
        ops.AddField(
            model_name='Milestone',
            name='choice_expiry_days',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='IssuedReward',
            name='reward_options',
            field=fields.JSONField(null=True),
        ),
        ops.AddField(
            model_name='IssuedReward',
            name='choice_expires_at',
            field=fields.DatetimeField(null=True),
        ),
        ops.AddField(
            model_name='IssuedReward',
            name='chosen_option',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='IssuedReward',
            name='chosen_at',
            field=fields.DatetimeField(null=True),
        ),
        ops.AddIndex(
            model_name='IssuedReward',
            index=Index(fields=['status', 'choice_expires_at']),
        ),
    ]
