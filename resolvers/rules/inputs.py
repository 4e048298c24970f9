"""Inputs of the rule mutations, and their translation to engine drafts."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry

from engine.core.drafts import MilestoneDraft, RuleDraft
from engine.core.enums import MixedStepMetric as MetricEnum
from engine.core.enums import RefundPolicy as PolicyEnum
from engine.core.enums import RuleType as TypeEnum
from engine.core.enums import StreakMetric as StreakMetricEnum
from engine.core.enums import StreakPeriod as StreakPeriodEnum
from engine.core.errors import DomainError
from resolvers.enums import MilestoneRuleType, MixedStepMetric, RefundPolicy, StreakMetric, StreakPeriod
from resolvers.rewards import RewardInput
from resolvers.times import input_time
from wire import ids


@strawberry.input
class MilestoneInput:
    threshold: Decimal = strawberry.field(
        description="Orders, money, points, reviews, days or cycles; a MIXED step's target."
    )
    step_metric: MixedStepMetric | None = strawberry.field(default=None, description="MIXED only.")
    description: str | None = strawberry.field(default=None, description="Shown on the widget.")
    reward: RewardInput | None = strawberry.field(
        default=None, description="The milestone's reward; or, instead, `rewardOptions`."
    )
    id: strawberry.ID | None = strawberry.field(
        default=None,
        description="On update: keep this existing milestone (and the rewards issued for it).",
    )
    reward_options: list[RewardInput] | None = strawberry.field(
        default=None,
        description="Customer's choice, instead of `reward`: 2 to 4 rewards the customer picks one of "
        "(the first is the default, given when the choice expires).",
    )
    choice_expiry_days: int | None = strawberry.field(
        default=None,
        description="With `rewardOptions`: days the customer has to choose (1 to 3650) before the "
        "sweep gives the first option; none means no deadline.",
    )


_PERIOD = "STREAK only: a calendar week (Monday first) or month in the shop's time zone."
_METRIC = "STREAK only: what each period measures."
_MINIMUM = (
    "STREAK only: what a period must hold to count, orders or reviews (a whole number) or money;"
    " by default 1 order, 1 review or any amount."
)


@strawberry.input
class MilestoneRuleInput:
    name: str
    type: MilestoneRuleType
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    refund_policy: RefundPolicy | None = None
    reward_expiry_days: int | None = None
    milestones: list[MilestoneInput]
    period: StreakPeriod | None = strawberry.field(default=None, description=_PERIOD)
    streak_metric: StreakMetric | None = strawberry.field(default=None, description=_METRIC)
    minimum_per_period: Decimal | None = strawberry.field(default=None, description=_MINIMUM)


@strawberry.input(description="The fields to change; `milestones`, when given, replaces the list.")
class MilestoneRuleUpdateInput:
    name: str | None = strawberry.UNSET
    type: MilestoneRuleType | None = strawberry.UNSET
    starts_at: datetime | None = strawberry.UNSET
    ends_at: datetime | None = strawberry.UNSET
    refund_policy: RefundPolicy | None = strawberry.UNSET
    reward_expiry_days: int | None = strawberry.UNSET
    milestones: list[MilestoneInput] | None = strawberry.UNSET
    period: StreakPeriod | None = strawberry.field(default=strawberry.UNSET, description=_PERIOD)
    streak_metric: StreakMetric | None = strawberry.field(default=strawberry.UNSET, description=_METRIC)
    minimum_per_period: Decimal | None = strawberry.field(default=strawberry.UNSET, description=_MINIMUM)


def milestone_drafts(milestones: list[MilestoneInput]) -> list[MilestoneDraft]:
    drafts = []
    for index, m in enumerate(milestones):
        milestone_id = None
        if m.id is not None:
            milestone_id = ids.decode("Milestone", m.id)
            if milestone_id is None:
                raise DomainError.one(
                    "NOT_FOUND", "Milestone not found in this rule.", ("milestones", index, "id")
                )
        drafts.append(
            MilestoneDraft(
                threshold=m.threshold,
                reward=m.reward.to_draft() if m.reward is not None else None,
                step_metric=MetricEnum(m.step_metric.value) if m.step_metric else None,
                description=m.description,
                id=milestone_id,
                reward_options=[o.to_draft() for o in m.reward_options] if m.reward_options is not None else None,
                choice_expiry_days=m.choice_expiry_days,
            )
        )
    return drafts


def rule_draft(data: MilestoneRuleInput) -> RuleDraft:
    return RuleDraft(
        name=data.name,
        type=TypeEnum(data.type.value),
        starts_at=input_time(data.starts_at, ("startsAt",)),
        ends_at=input_time(data.ends_at, ("endsAt",)),
        refund_policy=PolicyEnum(data.refund_policy.value) if data.refund_policy else PolicyEnum.KEEP,
        reward_expiry_days=data.reward_expiry_days,
        milestones=milestone_drafts(data.milestones),
        period=StreakPeriodEnum(data.period.value) if data.period else None,
        streak_metric=StreakMetricEnum(data.streak_metric.value) if data.streak_metric else None,
        minimum_per_period=data.minimum_per_period,
    )


def rule_patch(data: MilestoneRuleUpdateInput) -> dict[str, Any]:
    """Only the fields the caller gave; null clears the optional ones."""
    patch: dict[str, Any] = {}
    required = ("name", "type", "milestones")
    names = ("name", "type", "starts_at", "ends_at", "refund_policy", "reward_expiry_days", "milestones", *_STREAK)
    for name in names:
        value = getattr(data, name)
        if value is strawberry.UNSET:
            continue
        if value is None and name in required:
            raise DomainError.one("INVALID", f"{_camel(name)} cannot be null.", (_camel(name),))
        patch[name] = value
    if "type" in patch:
        patch["type"] = TypeEnum(patch["type"].value)
    if "refund_policy" in patch:
        patch["refund_policy"] = PolicyEnum(patch["refund_policy"].value) if patch["refund_policy"] else PolicyEnum.KEEP
    for name in ("starts_at", "ends_at"):
        if name in patch:
            patch[name] = input_time(patch[name], (_camel(name),))
    if "milestones" in patch:
        patch["milestones"] = milestone_drafts(patch["milestones"])
    if patch.get("period") is not None:
        patch["period"] = StreakPeriodEnum(patch["period"].value)
    if patch.get("streak_metric") is not None:
        patch["streak_metric"] = StreakMetricEnum(patch["streak_metric"].value)
    return patch


_STREAK = ("period", "streak_metric", "minimum_per_period")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
