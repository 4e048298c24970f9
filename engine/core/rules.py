"""Rules and their milestones as evaluation sees them (docs/concepts.md, "Rules and milestones").

What a rule counts is decided by the time an activity occurred, never by when it arrived: a
rule counts activity whose `occurredAt` lies in its window and in one of its counting periods.
Activation opens a period (from the activation, or from the beginning of time with
`countPastActivity`); pausing closes it. So a late webhook for an order placed before
activation does not count, and one for an order placed while the rule ran does, even if it
arrives while the rule is paused; live recording, import, preview and recomputation agree.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, replace
from datetime import datetime

from engine.core.enums import (
    LIVE_STATUSES,
    ActivityKind,
    MixedStepMetric,
    RefundPolicy,
    RuleStatus,
    RuleType,
    StreakMetric,
    StreakPeriod,
)
from engine.core.rewards import Reward

# The rule types each kind of activity moves (points rewards move POINTS_FEED too).
FEEDS: dict[ActivityKind, frozenset[RuleType]] = {
    ActivityKind.ORDER_PLACED: frozenset({RuleType.ORDERS_COUNT, RuleType.AMOUNT_SPENT, RuleType.MIXED}),
    ActivityKind.ORDER_REFUNDED: frozenset({RuleType.ORDERS_COUNT, RuleType.AMOUNT_SPENT}),
    ActivityKind.REVIEW_POSTED: frozenset({RuleType.REVIEWS_COUNT, RuleType.MIXED}),
    ActivityKind.REFERRAL_COMPLETED: frozenset({RuleType.MIXED}),
    ActivityKind.SUBSCRIPTION_BILLED: frozenset({RuleType.SUBSCRIPTION_CYCLES, RuleType.MIXED}),
    ActivityKind.SUBSCRIPTION_CANCELLED: frozenset({RuleType.SUBSCRIPTION_CYCLES}),
    ActivityKind.POINTS_EARNED: frozenset({RuleType.POINTS_EARNED, RuleType.MIXED}),
    ActivityKind.SIGNUP: frozenset(),
}
# Rules that credited points move: POINTS_EARNED rules and MIXED points steps.
POINTS_FEED = frozenset({RuleType.POINTS_EARNED, RuleType.MIXED})
# The kinds a STREAK rule's periods are made of (engine/core/streaks.py): kept apart from FEEDS,
# because a streak is refolded from these facts rather than moved by each one.
STREAK_KINDS = frozenset({ActivityKind.ORDER_PLACED, ActivityKind.ORDER_REFUNDED, ActivityKind.REVIEW_POSTED})


def rule_types_for(kind: ActivityKind) -> frozenset[RuleType]:
    """Every rule type an activity of `kind` may move, directly or through points rewards."""
    direct = FEEDS[kind] | ({RuleType.STREAK} if kind in STREAK_KINDS else frozenset())
    # Refunds and cancellations only lower progress, so they grant nothing.
    if not direct or kind in (ActivityKind.ORDER_REFUNDED, ActivityKind.SUBSCRIPTION_CANCELLED):
        return direct
    return direct | POINTS_FEED


@dataclass(frozen=True)
class Period:
    """A stretch of time in which a rule counts activity: `start` inclusive, `end` exclusive;
    None is open."""

    start: datetime | None = None
    end: datetime | None = None

    def contains(self, at: datetime) -> bool:
        return (self.start is None or at >= self.start) and (self.end is None or at < self.end)


def periods_after_activation(
    periods: tuple[Period, ...], at: datetime, count_past: bool
) -> tuple[Period, ...]:
    """Counting periods once a rule is activated at `at`: all of time with `count_past`,
    otherwise one more period from `at`."""
    if count_past:
        return (Period(),)
    return (*periods, Period(at))


def periods_after_pause(periods: tuple[Period, ...], at: datetime) -> tuple[Period, ...]:
    """Counting periods once a rule is paused (or archived) at `at`: the open one ends."""
    return tuple(replace(p, end=at) if p.end is None and (p.start is None or p.start <= at) else p for p in periods)


@dataclass(frozen=True)
class Milestone:
    id: int
    position: int
    threshold: int  # in the rule's unit: a count, minor units, points, days or cycles
    reward: Reward
    step_metric: MixedStepMetric | None = None
    description: str | None = None
    # A customer's-choice milestone: the rewards the customer picks from (`reward` is the
    # first, the default), and the days they have to pick before the sweep gives it.
    options: tuple[Reward, ...] = ()
    choice_expiry_days: int | None = None


@dataclass(frozen=True)
class Ladder:
    """A rule's live milestones, by position (MIXED steps) and by threshold (the others)."""

    by_position: tuple[Milestone, ...]
    by_threshold: tuple[Milestone, ...]
    thresholds: tuple[int, ...]

    @classmethod
    def of(cls, milestones: list[Milestone]) -> Ladder:
        by_position = tuple(sorted(milestones, key=lambda m: m.position))
        by_threshold = tuple(sorted(by_position, key=lambda m: (m.threshold, m.position)))
        return cls(by_position, by_threshold, tuple(m.threshold for m in by_threshold))

    def between(self, low: int, high: int) -> tuple[Milestone, ...]:
        """The milestones with low < threshold <= high, in ascending order."""
        return self.by_threshold[bisect_right(self.thresholds, low) : bisect_right(self.thresholds, high)]

    def step(self, index: int) -> Milestone | None:
        """A MIXED rule's step at `index`, or None past the last."""
        return self.by_position[index] if 0 <= index < len(self.by_position) else None


@dataclass(frozen=True)
class RuleRef:
    """What an event tells of its rule."""

    id: int
    name: str
    type: RuleType


@dataclass(frozen=True)
class StreakSettings:
    """A STREAK rule's periods and what each must hold: `minimum` in the metric's unit (a
    count, or minor units for AMOUNT_SPENT); None is the default, 1 (one order, one review,
    any positive amount)."""

    period: StreakPeriod
    metric: StreakMetric
    minimum: int | None = None

    @property
    def floor(self) -> int:
        return self.minimum or 1


@dataclass(frozen=True)
class Rule:
    id: int
    name: str
    type: RuleType
    status: RuleStatus
    ladder: Ladder
    refund_policy: RefundPolicy = RefundPolicy.KEEP
    reward_expiry_days: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    periods: tuple[Period, ...] = ()
    # Bumped by every change to the rule or its milestones, in the statement that makes it.
    version: int = 0
    streak: StreakSettings | None = None  # STREAK rules only

    def in_window(self, at: datetime) -> bool:
        """Whether `at` lies in the rule's window (start inclusive, end exclusive)."""
        return (self.starts_at is None or at >= self.starts_at) and (self.ends_at is None or at < self.ends_at)

    def counts(self, at: datetime) -> bool:
        """Whether activity that occurred at `at` counts toward this rule."""
        if self.status not in LIVE_STATUSES or not self.in_window(at):
            return False
        for period in self.periods:  # a loop, not any(): this runs once per fact in a replay
            if period.contains(at):
                return True
        return False

    @property
    def counts_all_of_time(self) -> bool:
        """Whether the rule counts whatever the time (live, no window, a period without
        bounds): a replay then need not ask `counts` of each fact."""
        return (
            self.status in LIVE_STATUSES
            and self.starts_at is None
            and self.ends_at is None
            and any(p.start is None and p.end is None for p in self.periods)
        )

    @property
    def revokes(self) -> bool:
        return self.refund_policy == RefundPolicy.REVOKE_UNREDEEMED
