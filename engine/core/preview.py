"""What a rule would grant on the activity already recorded: a what-if preview, as aggregates.

A preview asks the same core that activation asks: each customer's facts in the window are
folded by `refold` (for INACTIVITY, `decide_inactivity` as of the window's end) from a state
with no progress and no grants, as activating the rule with `countPastActivity` would do. Only
figures are kept of each customer (milestones reached, rewards, the progress value's bucket),
so a preview over a million activities holds one page of customers at a time.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field, replace
from datetime import datetime

from engine.core import streaks
from engine.core.activities import Activity
from engine.core.drafts import RuleSpec
from engine.core.enums import MixedStepMetric, RewardKind, RuleStatus, RuleType
from engine.core.evaluation import Context, decide_inactivity, progress_over
from engine.core.grants import GrantBook
from engine.core.inactivity import inactive_days
from engine.core.rewards import Reward
from engine.core.rules import Ladder, Milestone, Period, Rule, StreakSettings
from engine.core.state import CustomerState, Fact, Progress

# The id an unsaved rule goes by while it is previewed (stored ids start at 1).
UNSAVED_RULE_ID = 0


def as_activated(rule: Rule) -> Rule:
    """`rule` as activating it with countPastActivity leaves it: ACTIVE, counting all of time
    (inside its own window)."""
    return replace(rule, status=RuleStatus.ACTIVE, periods=(Period(),))


def unsaved_rule(spec: RuleSpec) -> Rule:
    """A validated draft as a rule activated with countPastActivity; its milestones are
    numbered from 1 in the order given."""
    milestones = [
        Milestone(
            id=position + 1,
            position=position,
            threshold=m.threshold,
            reward=Reward.from_json(m.reward),
            step_metric=MixedStepMetric(m.step_metric) if m.step_metric else None,
            description=m.description,
        )
        for position, m in enumerate(spec.milestones)
    ]
    return as_activated(
        Rule(
            id=UNSAVED_RULE_ID,
            name=spec.name,
            type=spec.type,
            status=RuleStatus.DRAFT,
            ladder=Ladder.of(milestones),
            refund_policy=spec.refund_policy,
            reward_expiry_days=spec.reward_expiry_days,
            starts_at=spec.starts_at,
            ends_at=spec.ends_at,
            streak=StreakSettings(spec.period, spec.streak_metric, spec.streak_minimum)
            if spec.period is not None and spec.streak_metric is not None
            else None,
        )
    )


@dataclass(frozen=True)
class Cost:
    """What rewards cost the shop: points, store credit and fixed discounts at face value (money
    in minor units). Percentage discounts, free shipping and gifts depend on the order they are
    used on: they cost nothing here and are counted only as rewards."""

    points: int = 0
    store_credit: int = 0
    discount_face_value: int = 0

    @classmethod
    def of(cls, reward: Reward, times: int = 1) -> Cost:
        if reward.kind == RewardKind.POINTS:
            return cls(points=int(reward.points or 0) * times)
        if reward.kind == RewardKind.STORE_CREDIT:
            return cls(store_credit=int(reward.amount or 0) * times)
        if reward.kind == RewardKind.FIXED_DISCOUNT:
            return cls(discount_face_value=int(reward.amount or 0) * times)
        return cls()

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            self.points + other.points,
            self.store_credit + other.store_credit,
            self.discount_face_value + other.discount_face_value,
        )


@dataclass(frozen=True)
class MilestoneFigures:
    milestone: Milestone
    customers_reached: int
    rewards_issued: int

    @property
    def cost(self) -> Cost:
        return Cost.of(self.milestone.reward, self.rewards_issued)


@dataclass(frozen=True)
class Bucket:
    """Customers whose progress lies in [low, high) (high None: no upper bound), in the rule's
    unit; for MIXED, in steps done."""

    low: int
    high: int | None
    customers: int


@dataclass
class Preview:
    """The running figures of one rule's preview: `add` each customer's facts, once, in any
    order of customers."""

    rule: Rule
    as_of: datetime  # the window's end: INACTIVITY counts days to it
    context: Context
    customers_with_progress: int = 0
    _reached: dict[int, int] = field(default_factory=dict)  # milestone id -> customers
    _issued: dict[int, int] = field(default_factory=dict)  # milestone id -> rewards
    _buckets: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._buckets = [0] * (len(self.rule.ladder.by_position) + 1)

    def add(self, customer_id: int, facts: list[Fact]) -> None:
        """Fold one customer's facts (in any order) and keep only what they add up to."""
        if self.rule.type == RuleType.INACTIVITY:
            last = max((f.occurred_at for f in facts if isinstance(f, Activity)), default=None)
            if last is None:
                return
            state = CustomerState(customer_id, "", last_activity_at=last)
            decision = decide_inactivity(state, [self.rule], self.as_of, self.context)
            reached = [g.milestone for g in decision.grants if g.rule_id == self.rule.id]
            progress = Progress(inactive_days(last, self.as_of))
        elif self.rule.type == RuleType.STREAK:
            # What a streak's runs reach (once per streak), and its current run as of the end.
            activities = [f for f in facts if isinstance(f, Activity)]
            decided = streaks.decide(self.rule, activities, GrantBook(), self.context.zone, self.as_of)
            reached = [milestone for milestone, _, _ in decided.grants]
            progress = Progress(decided.view.current)
        else:
            # What `refold` grants a customer who holds nothing, without making the grants.
            progress, found = progress_over(self.rule, facts)
            reached = [milestone for milestone, _ in found]
        for milestone in reached:
            self._issued[milestone.id] = self._issued.get(milestone.id, 0) + 1
        for milestone_id in {m.id for m in reached}:
            self._reached[milestone_id] = self._reached.get(milestone_id, 0) + 1
        if progress.value > 0 or progress.step > 0:
            self.customers_with_progress += 1
            self._buckets[self._bucket_of(progress)] += 1

    def _bucket_of(self, progress: Progress) -> int:
        ladder = self.rule.ladder
        if self.rule.type == RuleType.MIXED:
            return min(progress.step, len(ladder.by_position))
        return bisect_right(ladder.thresholds, progress.value)

    @property
    def milestones(self) -> list[MilestoneFigures]:
        """Per milestone, in the rule's order."""
        return [
            MilestoneFigures(m, self._reached.get(m.id, 0), self._issued.get(m.id, 0))
            for m in self.rule.ladder.by_position
        ]

    @property
    def cost(self) -> Cost:
        total = Cost()
        for figures in self.milestones:
            total = total + figures.cost
        return total

    @property
    def buckets(self) -> list[Bucket]:
        """One bucket per stretch of the ladder, empty ones too, so that a chart's axis is the
        ladder itself: below the first milestone (from 0), from each milestone to the next, and
        from the last one on. Customers without progress are in none."""
        if self.rule.type == RuleType.MIXED:
            bounds = list(range(len(self._buckets)))
        else:
            bounds = [0, *self.rule.ladder.thresholds]
        return [
            Bucket(low, bounds[n + 1] if n + 1 < len(bounds) else None, self._buckets[n])
            for n, low in enumerate(bounds)
        ]
