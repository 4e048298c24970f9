"""GraphQL types of milestone rules, their milestones and their history."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry.scalars import JSON

from engine.core.drafts import streak_minimum_decimal, threshold_decimal
from engine.core.enums import RuleType as RuleTypeEnum
from models import Milestone as MilestoneRow
from models import MilestoneRule as RuleRow
from models import RuleChange as ChangeRow
from resolvers.context import Info
from resolvers.enums import (
    MilestoneRuleStatus,
    MilestoneRuleType,
    MixedStepMetric,
    RefundPolicy,
    RuleChangeAction,
    StreakMetric,
    StreakPeriod,
)
from resolvers.loaders import milestones_of_rule
from resolvers.node import Node
from resolvers.pagination import Connection, paginate
from resolvers.permissions import IsAdminOrPartner
from resolvers.rewards import Reward, reward_of
from resolvers.rules.stats import MilestoneRuleStats
from wire import ids


@strawberry.type
class Milestone(Node):
    row: strawberry.Private[MilestoneRow]
    rule_type: strawberry.Private[RuleTypeEnum]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return ids.encode("Milestone", self.row.id)

    @strawberry.field(description="Position in the rule, from 0.")
    def position(self) -> int:
        return self.row.position

    @strawberry.field(
        description="Orders, money, points, reviews, days or cycles; a MIXED step's target."
    )
    def threshold(self, info: Info) -> Decimal:
        return threshold_decimal(
            self.rule_type, self.row.step_metric, self.row.threshold, info.context.shop.currency
        )

    @strawberry.field
    def step_metric(self) -> MixedStepMetric | None:
        return MixedStepMetric(self.row.step_metric) if self.row.step_metric else None

    @strawberry.field(description="Shown on the storefront widget.")
    def description(self) -> str | None:
        return self.row.description

    @strawberry.field(description="The reward; for a customer's choice, its first option (the default).")
    def reward(self) -> Reward:
        return reward_of(self.row.reward)

    @strawberry.field(description="Customer's choice: the rewards the customer picks one of; null otherwise.")
    def reward_options(self) -> list[Reward] | None:
        options = self.row.reward_options
        return [reward_of(option) for option in options] if options else None

    @strawberry.field(description="Customer's choice: days to choose before the first option is given.")
    def choice_expiry_days(self) -> int | None:
        return self.row.choice_expiry_days

    @strawberry.field(description="Set when the milestone was removed from its rule.")
    def retired_at(self) -> datetime | None:
        return self.row.retired_at


@strawberry.type
class MilestoneRuleChange(Node):
    row: strawberry.Private[ChangeRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return ids.encode("MilestoneRuleChange", self.row.id)

    @strawberry.field
    def action(self) -> RuleChangeAction:
        return RuleChangeAction(self.row.action)

    @strawberry.field
    def changed_at(self) -> datetime:
        return self.row.changed_at

    @strawberry.field(description="The API key that made the change.")
    def api_key_id(self) -> strawberry.ID | None:
        return ids.encode("ApiKey", self.row.api_key_id) if self.row.api_key_id else None

    @strawberry.field(
        description="What changed: for each field, its value before (`from`) and after (`to`)."
    )
    def changes(self) -> JSON:
        return self.row.changes


@strawberry.type
class MilestoneRule(Node):
    row: strawberry.Private[RuleRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return ids.encode("MilestoneRule", self.row.id)

    @strawberry.field
    def name(self) -> str:
        return self.row.name

    @strawberry.field
    def type(self) -> MilestoneRuleType:
        return MilestoneRuleType(self.row.type)

    @strawberry.field
    def status(self) -> MilestoneRuleStatus:
        return MilestoneRuleStatus(self.row.status)

    @strawberry.field
    def starts_at(self) -> datetime | None:
        return self.row.starts_at

    @strawberry.field
    def ends_at(self) -> datetime | None:
        return self.row.ends_at

    @strawberry.field
    def refund_policy(self) -> RefundPolicy:
        return RefundPolicy(self.row.refund_policy)

    @strawberry.field(description="Days a code reward stays valid; none means no expiry.")
    def reward_expiry_days(self) -> int | None:
        return self.row.reward_expiry_days

    @strawberry.field(description="Whether the last activation counted activity recorded before it.")
    def count_past_activity(self) -> bool:
        return self.row.count_past_activity

    @strawberry.field
    def activated_at(self) -> datetime | None:
        return self.row.activated_at

    @strawberry.field(description="INACTIVITY rules are never shown on the storefront widget.")
    def shown_on_widget(self) -> bool:
        return self.row.type != RuleTypeEnum.INACTIVITY.value

    @strawberry.field(description="STREAK only: the calendar period, in the shop's time zone.")
    def period(self) -> StreakPeriod | None:
        return StreakPeriod(self.row.streak_period) if self.row.streak_period else None

    @strawberry.field(description="STREAK only: what each period measures.")
    def streak_metric(self) -> StreakMetric | None:
        return StreakMetric(self.row.streak_metric) if self.row.streak_metric else None

    @strawberry.field(
        description="STREAK only: what a period must hold; null is the default (1 order, 1 review, any amount)."
    )
    def minimum_per_period(self, info: Info) -> Decimal | None:
        return streak_minimum_decimal(self.row.streak_metric, self.row.streak_minimum, info.context.shop.currency)

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field
    def updated_at(self) -> datetime:
        return self.row.updated_at

    @strawberry.field(
        permission_classes=[IsAdminOrPartner],
        description="The rule's figures across the shop (not shown to storefront keys).",
    )
    def stats(self) -> MilestoneRuleStats | None:
        return MilestoneRuleStats(row=self.row)

    @strawberry.field(description="The milestones, in order.")
    async def milestones(self, info: Info) -> list[Milestone]:
        rows = await milestones_of_rule(info).load(self.row.id)
        rule_type = RuleTypeEnum(self.row.type)
        return [Milestone(row=row, rule_type=rule_type) for row in rows]

    @strawberry.field(
        permission_classes=[IsAdminOrPartner],
        description="Every change to the rule, oldest first (not shown to storefront keys).",
    )
    async def history(
        self, first: int | None = None, after: str | None = None
    ) -> Connection[MilestoneRuleChange]:
        return await paginate(
            ChangeRow.filter(rule_id=self.row.id),
            first,
            after,
            lambda row: MilestoneRuleChange(row=row),
        )
