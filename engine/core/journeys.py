"""MIXED rules: an ordered journey of steps (docs/concepts.md, "Rules and milestones").

Steps are done strictly in order. A step counts only what happens while it is the current
step: the activity that completes a step counts toward nothing after it. So a journey depends
on the order in which things happened, and a late activity replays the journey from the
customer's history.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from engine.core.activities import Activity
from engine.core.enums import ActivityKind, MixedStepMetric
from engine.core.rules import Milestone, Rule
from engine.core.state import Fact, PointsCredit, Progress, fact_order

# What each kind of activity measures, per unit of activity.
_METRICS: dict[ActivityKind, tuple[MixedStepMetric, ...]] = {
    ActivityKind.ORDER_PLACED: (MixedStepMetric.ORDERS, MixedStepMetric.AMOUNT_SPENT),
    ActivityKind.REVIEW_POSTED: (MixedStepMetric.REVIEWS,),
    ActivityKind.REFERRAL_COMPLETED: (MixedStepMetric.REFERRALS,),
    ActivityKind.SUBSCRIPTION_BILLED: (MixedStepMetric.SUBSCRIPTION_CYCLES,),
    ActivityKind.POINTS_EARNED: (MixedStepMetric.POINTS_EARNED,),
}
JOURNEY_KINDS = frozenset(_METRICS)


def measure(fact: Fact, metric: MixedStepMetric) -> int:
    """How much `fact` adds to a step that measures `metric`."""
    if isinstance(fact, PointsCredit):
        return fact.points if metric == MixedStepMetric.POINTS_EARNED else 0
    if metric not in _METRICS.get(fact.kind, ()):
        return 0
    if metric == MixedStepMetric.AMOUNT_SPENT:
        return fact.amount
    if metric == MixedStepMetric.POINTS_EARNED:
        return fact.points
    return 1


def feeds(rule: Rule, fact: Fact) -> bool:
    """Whether `fact` can move `rule`'s journey at all."""
    if isinstance(fact, PointsCredit):
        return fact.feeds(rule.id) and rule.counts(fact.occurred_at)
    return fact.kind in JOURNEY_KINDS and rule.counts(fact.occurred_at)


def advance(rule: Rule, progress: Progress, fact: Fact) -> tuple[Progress, Milestone | None]:
    """The journey after `fact`, and the step it completed (None when it completed none)."""
    at = fact.occurred_at if progress.as_of is None else max(progress.as_of, fact.occurred_at)
    current = rule.ladder.step(progress.step)
    if current is None or current.step_metric is None:
        return Progress(progress.value, progress.step, at), None
    value = progress.value + measure(fact, current.step_metric)
    if value >= current.threshold:
        return Progress(0, progress.step + 1, at), current
    return Progress(value, progress.step, at), None


def replay(rule: Rule, facts: Iterable[Fact]) -> tuple[Progress, list[tuple[Milestone, datetime]]]:
    """The journey from its start over `facts` taken in the order they happened, and every
    step it completed with when."""
    progress, completed = Progress(), []
    for fact in sorted((f for f in facts if feeds(rule, f)), key=fact_order):
        progress, step = advance(rule, progress, fact)
        if step is not None:
            completed.append((step, fact.occurred_at))
    return progress, completed


def is_late(progress: Progress | None, fact: Fact) -> bool:
    """Whether `fact` happened before something the journey already counted."""
    return progress is not None and progress.as_of is not None and fact.occurred_at < progress.as_of


def facts_of(activities: Iterable[Activity]) -> list[Fact]:
    return [a for a in activities if a.kind in JOURNEY_KINDS]
