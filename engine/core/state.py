"""A customer's state as evaluation needs it, loaded by the shell before deciding."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from engine.core.activities import Activity
from engine.core.enums import RuleType
from engine.core.grants import GrantBook


@dataclass(frozen=True)
class Progress:
    """A customer's progress on one rule.

    `value` is in the rule's unit (for MIXED: the count within the current step); `step` is a
    MIXED rule's current step (the number of steps once done); `as_of` is when the latest
    activity folded into it occurred, so that a late one can be told apart.
    """

    value: int = 0
    step: int = 0
    as_of: datetime | None = None


@dataclass(frozen=True)
class Order:
    """An order as a refund needs it."""

    external_id: str
    customer_id: int
    total: int
    refunded: int
    occurred_at: datetime


@dataclass(frozen=True)
class PointsCredit:
    """Points a reward credited, as history: they count toward POINTS_EARNED rules and MIXED
    points steps, except toward the rule that granted them and from POINTS_EARNED rules."""

    points: int
    occurred_at: datetime
    activity_id: int  # the activity whose evaluation issued the reward
    rule_id: int
    rule_type: RuleType

    def feeds(self, rule_id: int) -> bool:
        return self.rule_type != RuleType.POINTS_EARNED and self.rule_id != rule_id


# An activity recorded earlier, or points a reward credited.
Fact = Activity | PointsCredit


def fact_order(fact: Fact) -> tuple[datetime, int, int]:
    """Facts are folded by when they occurred; at the same instant, activities in recording
    order, then the points their rewards credited."""
    if isinstance(fact, PointsCredit):
        return fact.occurred_at, 1, fact.activity_id
    return fact.occurred_at, 0, fact.id or 0


@dataclass
class CustomerState:
    """What evaluating one activity of one customer reads.

    `progress` covers the rules the activity may move (a missing rule is at zero); `grants` the
    customer's grants on those rules. `orders` holds the orders refunds refer to (by the
    store's order id), `subscriptions` the customer's (and the contract's) billings and
    cancellations, `history` the customer's earlier facts when a late activity makes a MIXED
    journey replay; `streak_facts` the customer's orders, refunds and reviews when a STREAK
    rule is among the rules (engine/core/streaks.py); each is loaded only for the activities
    that need it.
    """

    id: int
    external_id: str
    progress: dict[int, Progress] = field(default_factory=dict)
    grants: GrantBook = field(default_factory=GrantBook)
    last_activity_at: datetime | None = None
    orders: dict[str, Order] = field(default_factory=dict)
    subscriptions: list[Activity] | None = None
    history: list[Fact] | None = None
    streak_facts: list[Activity] | None = None
