from tortoise import fields
from tortoise.models import Model


class RewardEvent(Model):
    """The durable, ordered log of reward events. `seq` is the shop's cursor order."""

    id = fields.BigIntField(primary_key=True)
    shop_id = fields.BigIntField()
    # Null until the event is sequenced: on PostgreSQL right after its transaction commits, so
    # that concurrent writers never wait for each other (engine/store/events.py).
    seq = fields.BigIntField(null=True)
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
