"""`previewMilestoneRule`: what a rule, saved or not, would grant on the recorded activity.

A query, since it writes nothing, answered like a mutation (a payload with `userErrors`), so
that an input createMilestoneRule would refuse is refused here with the same codes and paths.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

import strawberry
from graphql import GraphQLError

from engine.core.drafts import threshold_decimal
from engine.core.enums import RuleType
from engine.core.errors import DomainError
from engine.core.money import from_minor
from engine.core.preview import UNSAVED_RULE_ID, Bucket, Cost, MilestoneFigures
from engine.services.preview import preview_rule
from resolvers.context import Info
from resolvers.enums import MixedStepMetric
from resolvers.errors import UserError, user_errors
from resolvers.permissions import IsAdmin
from resolvers.rewards import Reward, reward_of
from resolvers.rules.inputs import MilestoneRuleInput, rule_draft
from resolvers.times import input_time
from wire import ids


@strawberry.type(
    description="What rewards would cost: points, store credit, and fixed discounts at face value, "
    "in the shop's currency. Percentage discounts, free shipping and free gifts are worth what the "
    "order they are used on makes them: they count here as nothing, and only in rewardsIssued."
)
class RewardCost:
    points: int
    store_credit: Decimal
    discount_face_value: Decimal


def _cost(cost: Cost, currency: str) -> RewardCost:
    return RewardCost(
        points=cost.points,
        store_credit=from_minor(cost.store_credit, currency),
        discount_face_value=from_minor(cost.discount_face_value, currency),
    )


@strawberry.type(description="One milestone's figures in a preview.")
class MilestonePreview:
    figures: strawberry.Private[MilestoneFigures]
    rule_type: strawberry.Private[RuleType]
    saved: strawberry.Private[bool]

    @strawberry.field(description="The milestone's position in the rule, from 0.")
    def position(self) -> int:
        return self.figures.milestone.position

    @strawberry.field(description="The stored milestone's id; null when previewing an input.")
    def milestone_id(self) -> strawberry.ID | None:
        return strawberry.ID(ids.encode("Milestone", self.figures.milestone.id)) if self.saved else None

    @strawberry.field
    def threshold(self, info: Info) -> Decimal:
        m = self.figures.milestone
        metric = m.step_metric.value if m.step_metric else None
        return threshold_decimal(self.rule_type, metric, m.threshold, info.context.shop.currency)

    @strawberry.field
    def step_metric(self) -> MixedStepMetric | None:
        metric = self.figures.milestone.step_metric
        return MixedStepMetric(metric.value) if metric else None

    @strawberry.field
    def reward(self) -> Reward:
        return reward_of(self.figures.milestone.reward.to_json())

    @strawberry.field(description="Customers who would reach the milestone.")
    def customers_reached(self) -> int:
        return self.figures.customers_reached

    @strawberry.field(description="Rewards the milestone would issue.")
    def rewards_issued(self) -> int:
        return self.figures.rewards_issued

    @strawberry.field
    def cost(self, info: Info) -> RewardCost:
        return _cost(self.figures.cost, info.context.shop.currency)


@strawberry.type(
    description="Customers whose progress lies from `from` (inclusive) up to `to` (exclusive; null: "
    "no upper bound), in the rule's unit (money in the shop's currency); for MIXED, in steps done."
)
class ProgressBucket:
    bucket: strawberry.Private[Bucket]
    money: strawberry.Private[bool]

    def _value(self, value: int, info: Info) -> Decimal:
        return from_minor(value, info.context.shop.currency) if self.money else Decimal(value)

    @strawberry.field(name="from")
    def from_(self, info: Info) -> Decimal:
        return self._value(self.bucket.low, info)

    @strawberry.field
    def to(self, info: Info) -> Decimal | None:
        return None if self.bucket.high is None else self._value(self.bucket.high, info)

    @strawberry.field
    def customers(self) -> int:
        return self.bucket.customers


@strawberry.type(description="What a rule would grant on the activity recorded in a window.")
class MilestoneRulePreview:
    from_: datetime | None = strawberry.field(
        name="from", description="The window's start; null: the beginning of the shop's history."
    )
    to: datetime = strawberry.field(description="The window's end (exclusive); INACTIVITY days count to it.")
    milestones: list[MilestonePreview] = strawberry.field(description="In the rule's order.")
    customers_with_progress: int = strawberry.field(
        description="Customers whose progress would be above zero (as MilestoneRuleStats counts them)."
    )
    buckets: list[ProgressBucket] = strawberry.field(
        description="The customers with progress by how far they got: one bucket below the first "
        "milestone, one from each milestone to the next, one from the last on (empty ones too)."
    )
    cost: RewardCost = strawberry.field(description="All the milestones' rewards together.")
    activities_replayed: int = strawberry.field(description="Recorded activities the preview folded.")


@strawberry.type
class MilestoneRulePreviewPayload:
    preview: MilestoneRulePreview | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RulePreviewQuery:
    @strawberry.field(
        permission_classes=[IsAdmin],
        description="What a rule would grant on the shop's recorded activity, writing nothing: "
        "give exactly one of `input` (an unsaved rule, validated as createMilestoneRule validates it) "
        "or `id` (a stored rule, any status). Either is taken as activated with countPastActivity. "
        "The window is [from, to): from defaults to the beginning of the shop's history, to to now "
        "(at most 5 minutes ahead).",
    )
    async def preview_milestone_rule(
        self,
        info: Info,
        input: MilestoneRuleInput | None = None,
        id: strawberry.ID | None = None,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
    ) -> MilestoneRulePreviewPayload:
        if (input is None) == (id is None):
            raise GraphQLError(
                "Give exactly one of `input` and `id`.", extensions={"code": "BAD_USER_INPUT"}
            )
        shop = info.context.shop
        try:
            start, end = input_time(from_, ("from",)), input_time(to, ("to",))
            if input is not None:
                result = await preview_rule(shop, draft=rule_draft(input), start=start, end=end)
            else:
                pk = ids.pk_of("MilestoneRule", id or "", "Milestone rule")
                result = await preview_rule(shop, rule_id=pk, start=start, end=end)
        except DomainError as error:
            return MilestoneRulePreviewPayload(user_errors=user_errors(error, top_level=_TOP_LEVEL))
        preview, currency = result.preview, shop.currency
        rule = preview.rule
        saved = rule.id != UNSAVED_RULE_ID
        money = rule.type == RuleType.AMOUNT_SPENT
        return MilestoneRulePreviewPayload(
            preview=MilestoneRulePreview(
                from_=result.window.start,
                to=result.window.end,
                milestones=[MilestonePreview(figures=f, rule_type=rule.type, saved=saved) for f in preview.milestones],
                customers_with_progress=preview.customers_with_progress,
                buckets=[ProgressBucket(bucket=b, money=money) for b in preview.buckets],
                cost=_cost(preview.cost, currency),
                activities_replayed=result.activities,
            )
        )


_TOP_LEVEL = frozenset({"id", "from", "to"})
