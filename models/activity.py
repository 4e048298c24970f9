from tortoise import fields
from tortoise.models import Model


class Activity(Model):
    """Something the store reported. (shop, kind, external id) is unique: the idempotency key."""

    id = fields.BigIntField(primary_key=True)
    shop_id = fields.BigIntField()
    customer = fields.ForeignKeyField(
        "models.Customer", related_name="activities", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=32)
    external_id = fields.CharField(max_length=255)
    payload = fields.JSONField()
    payload_hash = fields.CharField(max_length=64)
    occurred_at = fields.DatetimeField()
    recorded_at = fields.DatetimeField()

    class Meta:
        table = "activities"
        unique_together = (("shop_id", "kind", "external_id"),)
        indexes = (("customer_id", "occurred_at"), ("shop_id", "kind", "occurred_at"))


class Order(Model):
    """An order as far as refunds need it: its total, what was refunded, which rules counted it."""

    id = fields.BigIntField(primary_key=True)
    shop_id = fields.BigIntField()
    customer_id = fields.BigIntField()
    external_id = fields.CharField(max_length=255)
    total = fields.BigIntField()
    refunded = fields.BigIntField(default=0)
    occurred_at = fields.DatetimeField()
    counted_rule_ids = fields.JSONField(default=list)

    class Meta:
        table = "orders"
        unique_together = (("shop_id", "external_id"),)


class SubscriptionContract(Model):
    """A subscription contract: consecutive successful billings since its last reset."""

    id = fields.BigIntField(primary_key=True)
    shop_id = fields.BigIntField()
    customer_id = fields.BigIntField()
    external_id = fields.CharField(max_length=255)
    status = fields.CharField(max_length=16, default="ACTIVE")
    cycles = fields.BigIntField(default=0)
    last_billed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "subscription_contracts"
        unique_together = (("shop_id", "external_id"),)
        indexes = (("customer_id",),)
