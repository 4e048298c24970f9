from tortoise import fields
from tortoise.models import Model


class WebhookEndpoint(Model):
    """A partner's URL that receives reward events, signed with its own secret, in order."""

    id = fields.BigIntField(primary_key=True)
    shop_id = fields.BigIntField()
    url = fields.CharField(max_length=2000)
    types = fields.JSONField()
    secret = fields.CharField(max_length=128)
    # The seq of the last event delivered (or skipped for its type); deliveries resume after it.
    cursor = fields.BigIntField(default=0)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)
    # Set when the next event failed `WEBHOOK_MAX_ATTEMPTS` times: delivery waits for an admin.
    disabled_at = fields.DatetimeField(null=True)
    # A lease: the one process delivering to this endpoint now, so deliveries stay in order.
    locked_by = fields.CharField(max_length=32, null=True)
    locked_until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    deleted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "webhook_endpoints"
        indexes = (("shop_id",),)


class WebhookDelivery(Model):
    """One attempt to deliver one event to one endpoint."""

    id = fields.BigIntField(primary_key=True)
    endpoint_id = fields.BigIntField()
    event_id = fields.BigIntField()
    event_seq = fields.BigIntField()
    attempt = fields.IntField()
    success = fields.BooleanField()
    status_code = fields.IntField(null=True)
    error = fields.TextField(null=True)
    duration_ms = fields.IntField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "webhook_deliveries"
        indexes = (("endpoint_id", "id"),)
