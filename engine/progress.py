"""Progress as customers and merchants see it (DESIGN §6), read set-wise: the progress of a
page of customers on every rule costs the same few queries whatever the page size."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from engine import clock
from engine.enums import IssuedRewardStatus, RuleType
from engine.sweep import episode_key
from models import (
    ContractProgress,
    Customer,
    IssuedReward,
    Milestone,
    MilestoneRule,
    RuleProgress,
    SubscriptionContract,
)

REACHED, NEXT, LOCKED = "REACHED", "NEXT", "LOCKED"
SECONDS_PER_DAY = 86400


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
class RuleProgressView:
    rule: MilestoneRule
    value: int  # in the rule's unit (for MIXED: the count within the current step)
    next_threshold: int | None
    milestones: list[MilestoneState]
    current_step: int | None = None
    contracts: list[ContractState] = field(default_factory=list)

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
    seconds = ((as_of or clock.now()) - last_activity_at).total_seconds()
    return max(0, int(seconds // SECONDS_PER_DAY))


async def progress_for(
    customers: Sequence[Customer], rules: Sequence[MilestoneRule]
) -> dict[int, list[RuleProgressView]]:
    """Each customer's progress on each rule, in the order of `rules`."""
    if not customers or not rules:
        return {c.id: [] for c in customers}
    customer_ids = [c.id for c in customers]
    rule_ids = [r.id for r in rules]
    milestones: dict[int, list[Milestone]] = defaultdict(list)
    for m in await Milestone.filter(rule_id__in=rule_ids, retired_at=None).order_by("position"):
        milestones[m.rule_id].append(m)
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
    contracts = await _contracts(customer_ids, [r.id for r in rules if r.type == RuleType.SUBSCRIPTION_CYCLES.value])

    result: dict[int, list[RuleProgressView]] = {}
    for customer in customers:
        views = []
        for rule in rules:
            row = progress.get((customer.id, rule.id))
            views.append(
                _view(customer, rule, milestones[rule.id], row, granted, contracts.get((customer.id, rule.id), []))
            )
        result[customer.id] = views
    return result


async def _contracts(customer_ids: list[int], rule_ids: list[int]) -> dict[tuple[int, int], list[ContractState]]:
    if not rule_ids:
        return {}
    rows = await ContractProgress.filter(customer_id__in=customer_ids, rule_id__in=rule_ids).order_by("id")
    if not rows:
        return {}
    contracts = {
        c.id: c for c in await SubscriptionContract.filter(id__in={r.contract_id for r in rows})
    }
    result: dict[tuple[int, int], list[ContractState]] = defaultdict(list)
    for row in rows:
        contract = contracts[row.contract_id]
        result[(row.customer_id, row.rule_id)].append(
            ContractState(contract.external_id, contract.status, row.cycles)
        )
    return result


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
    episode = episode_key(customer.last_activity_at) if rule_type == RuleType.INACTIVITY else None
    for m in milestones:
        reward = granted.get((customer.id, m.id))
        if episode is not None and reward is not None and reward.grant_key != episode:
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
