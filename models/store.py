from tortoise import fields
from tortoise.models import Model


class StoreConnection(Model):
    """A Shopify or WooCommerce store whose webhooks count for one shop."""

    id = fields.BigIntField(primary_key=True)
    shop_id = fields.BigIntField()
    platform = fields.CharField(max_length=16)
    # The store's address as its webhooks name it (myshopify.com host, or WooCommerce site).
    domain = fields.CharField(max_length=255)
    # The signing secret, sealed with STORE_SECRET_KEY ("fernet:...") or plain ("plain:...").
    secret = fields.TextField()
    count_orders_on = fields.CharField(max_length=16)
    created_at = fields.DatetimeField()
    last_delivery_at = fields.DatetimeField(null=True)

    class Meta:
        table = "store_connections"
        unique_together = (("platform", "domain"),)
        indexes = (("shop_id",),)


class StoreDelivery(Model):
    """One webhook a connected store sent, and what became of it."""

    id = fields.BigIntField(primary_key=True)
    connection_id = fields.BigIntField()
    received_at = fields.DatetimeField()
    topic = fields.CharField(max_length=100)
    # The platform's delivery id as sent (X-Shopify-Webhook-Id, X-WC-Webhook-Delivery-ID).
    webhook_id = fields.CharField(max_length=255)
    # What a redelivery repeats: the webhook id, plus the body's digest for WooCommerce.
    dedup_key = fields.CharField(max_length=255)
    outcome = fields.CharField(max_length=16)
    activity_ids = fields.JSONField(default=list)
    message = fields.TextField()

    class Meta:
        table = "store_deliveries"
        indexes = (("connection_id", "id"), ("connection_id", "dedup_key"))
