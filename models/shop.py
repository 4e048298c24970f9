from tortoise import fields
from tortoise.models import Model


class Shop(Model):
    """A tenant. Every other row belongs to exactly one shop."""

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=200)
    currency = fields.CharField(max_length=3)
    timezone = fields.CharField(max_length=64, default="UTC")
    plan = fields.CharField(max_length=16)
    widget_secret = fields.CharField(max_length=128)
    # Last event sequence number handed out; bumping it locks the row, which serializes the
    # shop's event writers so cursors follow commit order.
    event_seq = fields.BigIntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "shops"
