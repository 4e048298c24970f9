from tortoise import fields
from tortoise.models import Model


class RuleProgress(Model):
    """A customer's progress on one rule, moved by each activity it counts.

    For MIXED rules `step` is the index of the current step and `value` the count within it;
    `step` equals the number of steps once the journey is done.
    """

    id = fields.BigIntField(primary_key=True)
    shop_id = fields.BigIntField()
    rule_id = fields.BigIntField()
    customer_id = fields.BigIntField()
    value = fields.BigIntField(default=0)
    step = fields.IntField(default=0)
    # When the latest activity counted in it occurred (a later-arriving earlier one replays a
    # MIXED journey).
    as_of = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "rule_progress"
        unique_together = (("rule_id", "customer_id"),)
        indexes = (("customer_id",),)
