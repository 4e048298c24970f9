from tortoise import fields
from tortoise.models import Model


class ApiKey(Model):
    """A bearer key of one shop with one role, stored only as a SHA-256 hash."""

    id = fields.BigIntField(primary_key=True)
    shop = fields.ForeignKeyField("models.Shop", related_name="api_keys", on_delete=fields.CASCADE)
    role = fields.CharField(max_length=16)
    name = fields.CharField(max_length=120, default="")
    prefix = fields.CharField(max_length=16)
    key_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_keys"
