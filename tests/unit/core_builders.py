"""One-line builders for the core's unit tests: rules, activities and a customer played
through them in memory, with no database."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from engine.core.activities import Activity, ActivityInput, validate
from engine.core.decisions import Decision
from engine.core.enums import (
    ActivityKind,
    IssuedRewardStatus,
    MixedStepMetric,
    RefundPolicy,
    RewardKind,
    RuleStatus,
    RuleType,
)
from engine.core.errors import DomainError
from engine.core.evaluation import Context, decide_inactivity, fold
from engine.core.rewards import Reward
from engine.core.rules import Ladder, Milestone, Period, Rule
from engine.core.state import CustomerState

START = datetime(2026, 3, 1, tzinfo=UTC)
NOW = datetime(2026, 12, 1, tzinfo=UTC)
_ids = itertools.count(1)
_codes = (f"MS-TEST-{n:04d}" for n in itertools.count(1))


def points(n: int) -> Reward:
    return Reward(RewardKind.POINTS, points=n)


def credit(minor: int) -> Reward:
    return Reward(RewardKind.STORE_CREDIT, currency="USD", amount=minor)


def gift(product: str = "shirt") -> Reward:
    return Reward(RewardKind.FREE_GIFT, product_id=product, quantity=1)


def discount(percent: str = "10") -> Reward:
    return Reward(RewardKind.PERCENTAGE_DISCOUNT, currency="USD", percent=percent)


def rule(
    type: RuleType,
    ladder: list[tuple[int, Reward]] | list[tuple[int, Reward, MixedStepMetric]],
    *,
    policy: RefundPolicy = RefundPolicy.KEEP,
    periods: tuple[Period, ...] = (Period(),),
    expiry_days: int | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    status: RuleStatus = RuleStatus.ACTIVE,
) -> Rule:
    rule_id = next(_ids)
    milestones = [
        Milestone(rule_id * 100 + n, n, step[0], step[1], step[2] if len(step) > 2 else None)
        for n, step in enumerate(ladder)
    ]
    return Rule(
        id=rule_id, name=f"{type.value} {rule_id}", type=type, status=status, ladder=Ladder.of(milestones),
        refund_policy=policy, reward_expiry_days=expiry_days, starts_at=starts_at, ends_at=ends_at,
        periods=periods,
    )


def at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


def _activity(data: ActivityInput) -> Activity:
    return validate(data, "USD", NOW).stored_as(next(_ids))


def order(order_id: str, total: str, when: float, customer: str = "c") -> Activity:
    return _activity(ActivityInput(ActivityKind.ORDER_PLACED, customer, order_id, at(when),
                                   amount=Decimal(total), currency="USD"))


def refund(refund_id: str, order_id: str, amount: str, when: float, customer: str = "c") -> Activity:
    return _activity(ActivityInput(ActivityKind.ORDER_REFUNDED, customer, refund_id, at(when),
                                   amount=Decimal(amount), order_id=order_id))


def review(review_id: str, when: float, customer: str = "c") -> Activity:
    return _activity(ActivityInput(ActivityKind.REVIEW_POSTED, customer, review_id, at(when)))


def referral(referral_id: str, when: float, customer: str = "c") -> Activity:
    return _activity(ActivityInput(ActivityKind.REFERRAL_COMPLETED, customer, referral_id, at(when)))


def earned(entry_id: str, n: int, when: float, customer: str = "c") -> Activity:
    return _activity(ActivityInput(ActivityKind.POINTS_EARNED, customer, entry_id, at(when), points=n))


def billed(billing_id: str, contract: str, when: float, customer: str = "c") -> Activity:
    return _activity(ActivityInput(ActivityKind.SUBSCRIPTION_BILLED, customer, billing_id, at(when),
                                   contract_id=contract))


def cancelled(cancellation_id: str, contract: str, when: float, customer: str = "c") -> Activity:
    return _activity(ActivityInput(ActivityKind.SUBSCRIPTION_CANCELLED, customer, cancellation_id, at(when),
                                   contract_id=contract))


@dataclass
class Played:
    """A customer after a sequence of activities: their state and every decision."""

    state: CustomerState
    decisions: list[Decision | DomainError] = field(default_factory=list)

    @property
    def grants(self) -> list:
        return [g for d in self.decisions if isinstance(d, Decision) for g in d.grants]

    def granted(self, rule: Rule) -> list[int]:
        """The thresholds of `rule` granted, in the order they were."""
        return [g.milestone.threshold for g in self.grants if g.rule_id == rule.id]

    def held(self, rule: Rule) -> list[int]:
        """The thresholds of `rule` held now (not revoked), ascending."""
        return sorted(
            g.milestone.threshold for g in self.state.grants
            if g.rule_id == rule.id and g.status != IssuedRewardStatus.REVOKED
        )

    def value(self, rule: Rule) -> int:
        progress = self.state.progress.get(rule.id)
        return progress.value if progress else 0

    def step(self, rule: Rule) -> int:
        progress = self.state.progress.get(rule.id)
        return progress.step if progress else 0

    @property
    def points(self) -> int:
        return sum(d.customer.points for d in self.decisions if isinstance(d, Decision))

    @property
    def credit(self) -> int:
        return sum(d.customer.credit for d in self.decisions if isinstance(d, Decision))

    @property
    def refused(self) -> list[str]:
        return [p.code for d in self.decisions if isinstance(d, DomainError) for p in d.problems]


def context() -> Context:
    return Context(NOW, "USD", new_code=lambda: next(_codes))


def play(rules: list[Rule], *activities: Activity, customer: str = "c", history: bool = True) -> Played:
    """`activities` folded through the core, one after the other, from a new customer."""
    state = CustomerState(1, customer, history=[] if history else None)
    decisions, state = fold(state, activities, rules, context())
    return Played(state, list(decisions))


def more(played: Played, rules: list[Rule], *activities: Activity) -> Played:
    decisions, state = fold(played.state, activities, rules, context())
    return Played(state, [*played.decisions, *decisions])


def sweep(played: Played, rules: list[Rule], as_of: datetime) -> Played:
    """The sweep's decision for this customer as of `as_of`, and the state it leaves."""
    decision = decide_inactivity(played.state, rules, as_of, context())
    grants = played.state.grants.copy()
    for grant in decision.grants:
        grants.add(grant)
    progress = {**played.state.progress, **decision.progress}
    return Played(replace(played.state, grants=grants, progress=progress), [*played.decisions, decision])
