"""Progress as GraphQL, loaded for a whole page of customers at once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from enum import Enum

import strawberry
from strawberry.dataloader import DataLoader

from engine.core.drafts import threshold_decimal
from engine.core.enums import RuleStatus, RuleType
from engine.core.enums import StreakMetric as StreakMetricEnum
from engine.core.money import from_minor
from engine.services.progress import RuleProgressView, StreakState, progress_for
from models import Customer as CustomerRow
from models import MilestoneRule as RuleRow
from resolvers.context import Info
from resolvers.customers.rewards import IssuedReward
from resolvers.enums import MilestoneRuleStatus, StreakPeriod
from resolvers.loaders import Loader
from resolvers.rules.types import Milestone, MilestoneRule


@strawberry.enum
class MilestoneProgressStatus(Enum):
    REACHED = "REACHED"
    NEXT = "NEXT"
    LOCKED = "LOCKED"


@strawberry.type
class MilestoneProgress:
    milestone: Milestone
    status: MilestoneProgressStatus
    issued_reward: IssuedReward | None


@strawberry.type(description="One subscription contract's consecutive billing cycles.")
class SubscriptionContractProgress:
    contract_id: str
    status: str
    cycles: int


@strawberry.type(description="A STREAK rule's progress: consecutive periods, and the current period.")
class StreakProgress:
    state: strawberry.Private[StreakState]

    def _measure(self, info: Info, value: int) -> Decimal:
        if self.state.settings.metric == StreakMetricEnum.AMOUNT_SPENT:
            return from_minor(value, info.context.shop.currency)
        return Decimal(value)

    @strawberry.field(description="Consecutive periods met through the current one, or through the previous one while "
                      "the current one is not met yet; 0 once a period ended without enough.")
    def current_streak(self) -> int:
        return self.state.view.current

    @strawberry.field(description="The longest run of consecutive periods met.")
    def best_streak(self) -> int:
        return self.state.view.best

    @strawberry.field
    def period(self) -> StreakPeriod:
        return StreakPeriod(self.state.settings.period.value)

    @strawberry.field(description="The current period's first instant (midnight in the shop's time zone).")
    def period_starts_at(self) -> datetime:
        return self.state.starts_at

    @strawberry.field(description="The next period's first instant.")
    def period_ends_at(self) -> datetime:
        return self.state.ends_at

    @strawberry.field(description="What the current period holds: orders, reviews or money.")
    def period_value(self, info: Info) -> Decimal:
        return self._measure(info, self.state.view.value)

    @strawberry.field(description="What a period must hold to count.")
    def period_minimum(self, info: Info) -> Decimal:
        return self._measure(info, self.state.view.minimum)

    @strawberry.field(description="Whether the current period holds its minimum.")
    def period_met(self) -> bool:
        return self.state.view.met


@strawberry.type
class RuleProgress:
    view: strawberry.Private[RuleProgressView]

    @strawberry.field
    def rule(self) -> MilestoneRule:
        return MilestoneRule(row=self.view.rule)

    @strawberry.field(description="The rule's status: only an ACTIVE rule counts activity now.")
    def rule_status(self) -> MilestoneRuleStatus:
        return MilestoneRuleStatus(self.view.rule.status)

    def _amount(self, info: Info, value: int | None, metric: str | None = None) -> Decimal | None:
        if value is None:
            return None
        rule_type = RuleType(self.view.rule.type)
        if rule_type == RuleType.MIXED:
            metric = metric or self.view.next_metric
        return threshold_decimal(rule_type, metric, value, info.context.shop.currency)

    @strawberry.field(
        description="Orders, money, points, reviews, inactive days, the best contract's "
        "cycles or the current streak's periods; for MIXED rules, the count within the current step."
    )
    def value(self, info: Info) -> Decimal:
        return self._amount(info, self.view.value)

    @strawberry.field
    def next_threshold(self, info: Info) -> Decimal | None:
        return self._amount(info, self.view.next_threshold)

    @strawberry.field
    def remaining(self, info: Info) -> Decimal | None:
        return self._amount(info, self.view.remaining)

    @strawberry.field(description="From 0 to 1: how far toward the next milestone or step.")
    def fraction(self) -> float:
        return self.view.fraction

    @strawberry.field(description="MIXED only: the index of the current step (= steps when done).")
    def current_step(self) -> int | None:
        return self.view.current_step

    @strawberry.field
    def milestones(self) -> list[MilestoneProgress]:
        rule_type = RuleType(self.view.rule.type)
        return [
            MilestoneProgress(
                milestone=Milestone(row=state.milestone, rule_type=rule_type),
                status=MilestoneProgressStatus(state.status),
                issued_reward=IssuedReward(row=state.reward) if state.reward else None,
            )
            for state in self.view.milestones
        ]

    @strawberry.field(description="STREAK only: the current and best streaks and the current period.")
    def streak(self) -> StreakProgress | None:
        return StreakProgress(state=self.view.streak) if self.view.streak else None

    @strawberry.field(description="SUBSCRIPTION_CYCLES only: each contract of the customer.")
    def contracts(self) -> list[SubscriptionContractProgress]:
        return [
            SubscriptionContractProgress(contract_id=c.contract_id, status=c.status, cycles=c.cycles)
            for c in self.view.contracts
        ]


# Rules that count activity, or may again: a draft has counted nothing yet, an archived rule
# never will again, so neither is shown unless asked for.
DEFAULT_PROGRESS_STATUSES = [RuleStatus.ACTIVE, RuleStatus.PAUSED]  # never mutated


def progress_loader(
    info: Info, *, widget: bool, statuses: Iterable[RuleStatus] = DEFAULT_PROGRESS_STATUSES
) -> DataLoader:
    """Progress of many customers in a fixed number of queries. The widget sees only ACTIVE
    rules shown on it (never INACTIVITY); admins see the rules of the statuses asked for."""
    shop_id = info.context.shop.id
    wanted = sorted({RuleStatus(s).value for s in statuses})

    async def load(customers: list[CustomerRow]) -> list[list[RuleProgress]]:
        query = RuleRow.filter(shop_id=shop_id)
        if widget:
            query = query.filter(status=RuleStatus.ACTIVE.value).exclude(type=RuleType.INACTIVITY.value)
        else:
            query = query.filter(status__in=wanted)
        rules = await query.order_by("id")
        views = await progress_for(customers, rules, info.context.shop.timezone)
        return [[RuleProgress(view=v) for v in views[c.id]] for c in customers]

    name = "widget_progress" if widget else f"progress:{','.join(wanted)}"
    return info.context.loader(name, lambda: Loader(load_fn=load, cache_key_fn=lambda c: c.id))
