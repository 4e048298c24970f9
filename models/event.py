from tortoise import fields
from tortoise.models import Model


class RewardEvent(Model):
    """The durable, ordered log of reward events. `seq` is the shop's cursor order."""

    id = fields.BigIntField(primary_key=True)
    shop_id = fields.BigIntField()
    seq = fields.BigIntField()
    type = fields.CharField(max_length=32)
    customer_id = fields.BigIntField()
    rule_id = fields.BigIntField()
    milestone_id = fields.BigIntField()
    issued_reward_id = fields.BigIntField()
    payload = fields.JSONField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "reward_events"
        unique_together = (("shop_id", "seq"),)
