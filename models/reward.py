from tortoise import fields
from tortoise.models import Model


class IssuedReward(Model):
    """A reward granted to a customer for one milestone.

    (rule, milestone, customer, grant key) is unique: it is what makes a grant happen once.
    `reward` is a snapshot of the milestone's reward definition at the time of issue.
    """

    id = fields.BigIntField(primary_key=True)
    shop_id = fields.BigIntField()
    customer_id = fields.BigIntField()
    rule_id = fields.BigIntField()
    milestone_id = fields.BigIntField()
    activity_id = fields.BigIntField(null=True)
    grant_key = fields.CharField(max_length=64)
    kind = fields.CharField(max_length=32)
    reward = fields.JSONField()
    status = fields.CharField(max_length=16)
    code = fields.CharField(max_length=64, null=True, unique=True)
    expires_at = fields.DatetimeField(null=True)
    issued_at = fields.DatetimeField()
    redeemed_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    expired_at = fields.DatetimeField(null=True)
    # A customer's choice: the options offered (snapshots), until when the customer may pick
    # (then the sweep gives the first), and which one was chosen when.
    reward_options = fields.JSONField(null=True)
    choice_expires_at = fields.DatetimeField(null=True)
    chosen_option = fields.IntField(null=True)
    chosen_at = fields.DatetimeField(null=True)

    class Meta:
        table = "issued_rewards"
        unique_together = (("rule_id", "milestone_id", "customer_id", "grant_key"),)
        indexes = (
            ("customer_id", "id"),
            # An activity's read of its customer's grants on the rules it feeds.
            ("customer_id", "rule_id"),
            ("activity_id",),
            ("shop_id", "status", "expires_at"),
            # The shop-wide issuedRewards connection, newest first, and its filters.
            ("shop_id", "id"),
            ("shop_id", "status", "id"),
            ("shop_id", "kind", "id"),
            ("rule_id", "id"),
            ("shop_id", "issued_at"),
            # The sweep's choices past their deadline.
            ("status", "choice_expires_at"),
        )
