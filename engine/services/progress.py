"""Progress as customers and merchants see it (docs/concepts.md, "Progress"), read set-wise: the progress of a
page of customers on every rule costs the same few queries whatever the page size."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from engine.core import contracts as contract_folds
from engine.core import streaks as streak_folds
from engine.core.activities import Activity as Fact
from engine.core.enums import ActivityKind, IssuedRewardStatus, RefundPolicy, RuleStatus, RuleType
from engine.core.grants import GrantKey
from engine.core.inactivity import episode
from engine.core.inactivity import inactive_days as days_idle
from engine.core.rules import Ladder, Rule, StreakSettings
from engine.services import clock
from engine.store.rules import periods_of, streak_of
from engine.store.state import STREAK_KIND_NAMES
from models import Activity, Customer, IssuedReward, Milestone, MilestoneRule, RuleProgress

REACHED, NEXT, LOCKED = "REACHED", "NEXT", "LOCKED"
STREAK_COLUMNS = ("streak_period", "streak_metric", "streak_minimum")


class Stored(NamedTuple):
    value: int
    step: int


@dataclass
class MilestoneState:
    milestone: Milestone
    status: str
    reward: IssuedReward | None


@dataclass
class ContractState:
    contract_id: str
    status: str
    cycles: int


@dataclass
class StreakState:
    """A STREAK rule's progress as of now: the core's view and the current period's bounds."""

    view: streak_folds.StreakView
    settings: StreakSettings
    starts_at: datetime
    ends_at: datetime


@dataclass
class RuleProgressView:
    rule: MilestoneRule
    value: int  # in the rule's unit (for MIXED: the count within the current step)
    next_threshold: int | None
    milestones: list[MilestoneState]
    current_step: int | None = None
    contracts: list[ContractState] = field(default_factory=list)
    streak: StreakState | None = None

    @property
    def remaining(self) -> int | None:
        if self.next_threshold is None:
            return None
        return max(self.next_threshold - self.value, 0)

    @property
    def fraction(self) -> float:
        """How far toward the next milestone (or the current step), from 0 to 1."""
        if self.next_threshold is None:
            return 1.0
        return max(0.0, min(1.0, self.value / self.next_threshold))

    @property
    def next_metric(self) -> str | None:
        for state in self.milestones:
            if state.status == NEXT:
                return state.milestone.step_metric
        return None


def inactive_days(last_activity_at: datetime, as_of: datetime | None = None) -> int:
    return days_idle(last_activity_at, as_of or clock.now())


async def progress_for(
    customers: Sequence[Customer], rules: Sequence[MilestoneRule], timezone: str = "UTC"
) -> dict[int, list[RuleProgressView]]:
    """Each customer's progress on each rule, in the order of `rules` (STREAK periods in the
    shop's `timezone`)."""
    if not customers or not rules:
        return {c.id: [] for c in customers}
    customer_ids = [c.id for c in customers]
    rule_ids = [r.id for r in rules]
    milestones: dict[int, list[Milestone]] = defaultdict(list)
    for m in await Milestone.filter(rule_id__in=rule_ids, retired_at=None).order_by("position"):
        milestones[m.rule_id].append(m)  # type: ignore[attr-defined]  # the FK's column
    # Plain tuples: a page holds a row per customer and rule, and model instances (with
    # their parsed timestamps) cost more than the rest of the page's reading.
    progress = {
        (customer_id, rule_id): Stored(value, step)
        for customer_id, rule_id, value, step in await RuleProgress.filter(
            customer_id__in=customer_ids, rule_id__in=rule_ids
        ).values_list("customer_id", "rule_id", "value", "step")
    }
    granted: dict[tuple[int, int], IssuedReward] = {}
    for reward in await IssuedReward.filter(
        customer_id__in=customer_ids, rule_id__in=rule_ids
    ).exclude(status=IssuedRewardStatus.REVOKED.value).order_by("id"):
        granted[(reward.customer_id, reward.milestone_id)] = reward
    contracts = await _contracts(customers, [r for r in rules if r.type == RuleType.SUBSCRIPTION_CYCLES.value])
    streaks = await _streaks(customers, [r for r in rules if r.type == RuleType.STREAK.value], timezone)

    result: dict[int, list[RuleProgressView]] = {}
    for customer in customers:
        views = []
        for rule in rules:
            row = progress.get((customer.id, rule.id))
            if (customer.id, rule.id) in streaks:
                streak = streaks[(customer.id, rule.id)]
                views.append(_streak_view(customer, rule, milestones[rule.id], granted, streak))
                continue
            views.append(
                _view(customer, rule, milestones[rule.id], row, granted, contracts.get((customer.id, rule.id), []))
            )
        result[customer.id] = views
    return result


async def _contracts(
    customers: Sequence[Customer], rules: Sequence[MilestoneRule]
) -> dict[tuple[int, int], list[ContractState]]:
    """Each customer's contracts as each SUBSCRIPTION_CYCLES rule counts them: a fold of their
    billings and cancellations (engine/core/contracts.py)."""
    if not rules:
        return {}
    kinds = [ActivityKind.SUBSCRIPTION_BILLED.value, ActivityKind.SUBSCRIPTION_CANCELLED.value]
    rows = await Activity.filter(customer_id__in=[c.id for c in customers], kind__in=kinds).values_list(
        "id", "customer_id", "kind", "external_id", "subject_id", "occurred_at"
    )
    if not rows:
        return {}
    facts: dict[int, list[Fact]] = defaultdict(list)
    for activity_id, customer_id, kind, external_id, subject_id, occurred_at in rows:
        facts[customer_id].append(
            Fact(ActivityKind(kind), "", external_id, clock.as_utc(occurred_at), {}, "",
                 contract_id=subject_id, id=activity_id)
        )
    result: dict[tuple[int, int], list[ContractState]] = {}
    for rule in rules:
        counting = _counting(rule)
        for customer_id, items in facts.items():
            folded = contract_folds.fold(counting, items)
            result[(customer_id, rule.id)] = [
                ContractState(c.contract_id, c.status, c.cycles) for c in folded.contracts
            ]
    return result


def _counting(rule: MilestoneRule) -> Rule:
    """What the core needs of a rule to tell which activity it counts."""
    return Rule(
        id=rule.id, name=rule.name, type=RuleType(rule.type), status=RuleStatus(rule.status), ladder=Ladder.of([]),
        refund_policy=RefundPolicy(rule.refund_policy), starts_at=rule.starts_at, ends_at=rule.ends_at,
        periods=periods_of(rule.counting_periods),
        streak=streak_of({name: getattr(rule, name) for name in STREAK_COLUMNS}),
    )


async def _streaks(
    customers: Sequence[Customer], rules: Sequence[MilestoneRule], timezone: str
) -> dict[tuple[int, int], StreakState]:
    """Each customer's streak on each STREAK rule as of now: a fold of their orders, refunds
    and reviews (engine/core/streaks.py), read in one query."""
    rules = [r for r in rules if r.streak_period and r.streak_metric]
    if not rules:
        return {}
    zone, now = ZoneInfo(timezone), clock.now()
    rows = await Activity.filter(customer_id__in=[c.id for c in customers], kind__in=STREAK_KIND_NAMES).values_list(
        "id", "customer_id", "kind", "external_id", "subject_id", "amount", "occurred_at"
    )
    facts: dict[int, list[Fact]] = defaultdict(list)
    for activity_id, customer_id, kind, external_id, subject_id, amount, occurred_at in rows:
        facts[customer_id].append(
            Fact(ActivityKind(kind), "", external_id, clock.as_utc(occurred_at), {}, "", amount=int(amount or 0),
                 order_id=subject_id, id=activity_id)
        )
    result: dict[tuple[int, int], StreakState] = {}
    for rule in rules:
        counting = _counting(rule)
        assert counting.streak is not None
        settings = counting.streak
        for customer in customers:
            found = streak_folds.tallies(counting, facts.get(customer.id, []), zone)
            shown = streak_folds.view(found, settings, zone, now)
            starts_at, ends_at = streak_folds.bounds(shown.period, settings.period, zone)
            result[(customer.id, rule.id)] = StreakState(shown, settings, starts_at, ends_at)
    return result


def _streak_view(
    customer: Customer,
    rule: MilestoneRule,
    milestones: list[Milestone],
    granted: dict[tuple[int, int], IssuedReward],
    streak: StreakState,
) -> RuleProgressView:
    """A milestone is REACHED while the current streak is at least its length; its reward is
    shown when it was granted in the current streak."""
    current = streak.view.current_run
    states: list[MilestoneState] = []
    next_threshold = None
    for m in milestones:
        reward = granted.get((customer.id, m.id))
        key = GrantKey.parse(reward.grant_key) if reward is not None else None
        if key is None or key.streak is None or current is None or not current.holds(key.streak):
            reward = None  # earned in an earlier streak
        if streak.view.current >= m.threshold:
            states.append(MilestoneState(m, REACHED, reward))
        elif next_threshold is None:
            next_threshold = m.threshold
            states.append(MilestoneState(m, NEXT, None))
        else:
            states.append(MilestoneState(m, LOCKED, None))
    return RuleProgressView(rule, streak.view.current, next_threshold, states, streak=streak)


def _view(
    customer: Customer,
    rule: MilestoneRule,
    milestones: list[Milestone],
    row: Stored | None,
    granted: dict[tuple[int, int], IssuedReward],
    contracts: list[ContractState],
) -> RuleProgressView:
    rule_type = RuleType(rule.type)
    if rule_type == RuleType.MIXED:
        return _mixed_view(customer, rule, milestones, row, granted)
    if rule_type == RuleType.INACTIVITY:
        value = inactive_days(customer.last_activity_at)
    else:
        value = row.value if row else 0
    states: list[MilestoneState] = []
    next_threshold = None
    current = str(episode(customer.last_activity_at)) if rule_type == RuleType.INACTIVITY else None
    for m in milestones:
        reward = granted.get((customer.id, m.id))
        if current is not None and reward is not None and reward.grant_key != current:
            reward = None  # earned in an earlier inactivity episode
        if reward is not None or (rule_type != RuleType.INACTIVITY and value >= m.threshold):
            states.append(MilestoneState(m, REACHED, reward))
        elif next_threshold is None:
            next_threshold = m.threshold
            states.append(MilestoneState(m, NEXT, None))
        else:
            states.append(MilestoneState(m, LOCKED, None))
    return RuleProgressView(rule, value, next_threshold, states, contracts=contracts)


def _mixed_view(
    customer: Customer,
    rule: MilestoneRule,
    milestones: list[Milestone],
    row: Stored | None,
    granted: dict[tuple[int, int], IssuedReward],
) -> RuleProgressView:
    step = row.step if row else 0
    value = row.value if row else 0
    states = []
    for index, m in enumerate(milestones):
        status = REACHED if index < step else NEXT if index == step else LOCKED
        states.append(MilestoneState(m, status, granted.get((customer.id, m.id))))
    current = milestones[step] if step < len(milestones) else None
    return RuleProgressView(
        rule,
        value if current else 0,
        current.threshold if current else None,
        states,
        current_step=step,
    )
