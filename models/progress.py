from tortoise import fields
from tortoise.models import Model


class RuleProgress(Model):
    """A customer's running total on one rule, changed incrementally by each activity.

    For MIXED rules `step` is the index of the current step and `value` the count within it;
    `step` equals the number of steps once the journey is done.
    """

    id = fields.BigIntField(primary_key=True)
    shop_id = fields.BigIntField()
    rule_id = fields.BigIntField()
    customer_id = fields.BigIntField()
    value = fields.BigIntField(default=0)
    step = fields.IntField(default=0)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "rule_progress"
        unique_together = (("rule_id", "customer_id"),)
        indexes = (("customer_id",),)


class ContractProgress(Model):
    """Cycles of one subscription contract counted by one SUBSCRIPTION_CYCLES rule."""

    id = fields.BigIntField(primary_key=True)
    rule_id = fields.BigIntField()
    contract_id = fields.BigIntField()
    customer_id = fields.BigIntField()
    cycles = fields.BigIntField(default=0)

    class Meta:
        table = "contract_progress"
        unique_together = (("rule_id", "contract_id"),)
        indexes = (("rule_id", "customer_id"),)
