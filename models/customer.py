from tortoise import fields
from tortoise.models import Model


class Customer(Model):
    """A shop's customer, created on first sight of its external id.

    The balances are caches of the ledger, changed in the same statement-level transaction as
    the ledger rows that justify them.
    """

    id = fields.BigIntField(primary_key=True)
    shop = fields.ForeignKeyField("models.Shop", related_name="customers", on_delete=fields.CASCADE)
    external_id = fields.CharField(max_length=255)
    email = fields.CharField(max_length=320, null=True)
    first_seen_at = fields.DatetimeField()
    last_activity_at = fields.DatetimeField()
    orders_count = fields.BigIntField(default=0)
    total_spent = fields.BigIntField(default=0)
    total_refunded = fields.BigIntField(default=0)
    reviews_count = fields.BigIntField(default=0)
    referrals_count = fields.BigIntField(default=0)
    points_balance = fields.BigIntField(default=0)
    store_credit_balance = fields.BigIntField(default=0)

    class Meta:
        table = "customers"
        unique_together = (("shop_id", "external_id"),)
        # The sorts of the customers connection; its prefix search has indexes on expressions
        # (migrations/0005_reporting_indexes.py).
        indexes = (
            ("shop_id", "last_activity_at"),
            ("shop_id", "id"),
            ("shop_id", "last_activity_at", "id"),
            ("shop_id", "total_spent", "id"),
        )


class LedgerEntry(Model):
    """An append-only movement of points or store credit (minor units)."""

    id = fields.BigIntField(primary_key=True)
    shop_id = fields.BigIntField()
    customer = fields.ForeignKeyField(
        "models.Customer", related_name="ledger", on_delete=fields.CASCADE
    )
    account = fields.CharField(max_length=16)
    delta = fields.BigIntField()
    reason = fields.CharField(max_length=32)
    activity_id = fields.BigIntField(null=True)
    issued_reward_id = fields.BigIntField(null=True)
    occurred_at = fields.DatetimeField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "ledger_entries"
        indexes = (("customer_id", "account", "id"),)
