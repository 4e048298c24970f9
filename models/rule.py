from tortoise import fields
from tortoise.models import Model


class MilestoneRule(Model):
    """One milestone program of a shop."""

    id = fields.BigIntField(primary_key=True)
    shop = fields.ForeignKeyField("models.Shop", related_name="rules", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=120)
    type = fields.CharField(max_length=32)
    status = fields.CharField(max_length=16, default="DRAFT")
    starts_at = fields.DatetimeField(null=True)
    ends_at = fields.DatetimeField(null=True)
    refund_policy = fields.CharField(max_length=32, default="KEEP")
    reward_expiry_days = fields.IntField(null=True)
    count_past_activity = fields.BooleanField(default=False)
    activated_at = fields.DatetimeField(null=True)
    ever_activated = fields.BooleanField(default=False)
    # [[start, end], ...] ISO times (null: open): when activity counts (engine/core/rules.py).
    counting_periods = fields.JSONField(default=list)
    # Bumped in the statement of every change to the rule or its milestones: a ladder cached
    # by (rule, version) is never stale.
    version = fields.IntField(default=0)
    # STREAK rules only (engine/core/streaks.py): WEEK or MONTH, what a period measures, and
    # what it must hold (a count, or minor units for AMOUNT_SPENT; null: at least 1).
    streak_period = fields.CharField(max_length=16, null=True)
    streak_metric = fields.CharField(max_length=32, null=True)
    streak_minimum = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "milestone_rules"
        indexes = (("shop_id", "status", "type"),)


class Milestone(Model):
    """A threshold of a rule and the reward it grants.

    `threshold` is an integer in the rule's unit: a count, points, days, cycles, or minor units
    of the shop's currency for money. `reward` is the reward definition, money in minor units.
    """

    id = fields.BigIntField(primary_key=True)
    rule = fields.ForeignKeyField(
        "models.MilestoneRule", related_name="milestones", on_delete=fields.CASCADE
    )
    position = fields.IntField()
    threshold = fields.BigIntField()
    step_metric = fields.CharField(max_length=32, null=True)
    description = fields.CharField(max_length=500, null=True)
    reward = fields.JSONField()
    # A customer's-choice milestone: its rewards (money in minor units) in order, `reward`
    # holding the first, and the days a customer has to choose.
    reward_options = fields.JSONField(null=True)
    choice_expiry_days = fields.IntField(null=True)
    # Milestones are retired, never deleted, so issued rewards keep pointing at what they won.
    retired_at = fields.DatetimeField(null=True)

    class Meta:
        table = "milestones"
        indexes = (("rule_id", "threshold"), ("rule_id", "position"))


class RuleChange(Model):
    """One entry of a rule's history: who changed what, and when."""

    id = fields.BigIntField(primary_key=True)
    rule = fields.ForeignKeyField(
        "models.MilestoneRule", related_name="changes", on_delete=fields.CASCADE
    )
    api_key_id = fields.BigIntField(null=True)
    action = fields.CharField(max_length=16)
    changes = fields.JSONField()
    changed_at = fields.DatetimeField()

    class Meta:
        table = "rule_changes"
        indexes = (("rule_id", "id"),)
