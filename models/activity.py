from tortoise import fields
from tortoise.models import Model


class Activity(Model):
    """Something the store reported: the log every figure is a fold of.

    (shop, kind, external id) is unique: the idempotency key. Orders are activities too: a
    refund names its order in `subject_id`.
    """

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
    # An order's total or a refund's amount, in minor units of the shop's currency.
    amount = fields.BigIntField(null=True)
    # What the activity is about besides the customer: a refund's order, a billing's contract.
    subject_id = fields.CharField(max_length=255, null=True)

    class Meta:
        table = "activities"
        unique_together = (("shop_id", "kind", "external_id"),)
        indexes = (
            ("customer_id", "occurred_at"),
            ("shop_id", "kind", "occurred_at"),
            ("shop_id", "kind", "subject_id"),
            ("customer_id", "kind"),
        )
