"""STREAK rules: activity in consecutive calendar periods (docs/concepts.md, "Streaks").

A streak is a fold of the customer's orders, refunds and reviews, never of the order in which
they arrived. Each counted activity adds to the period it occurred in: an ISO week (from
Monday) or a month, in the shop's time zone. A period holding at least the rule's minimum is
met; consecutive met periods make a run, and a run is a streak.

- The current streak is the run through the current period, or through the previous one while
  the current period is still open and not yet met; otherwise it is 0 (broken). The best is
  the longest run.
- A milestone (a number of consecutive periods) is reached by every run at least that long,
  and granted once per run: a run holding a grant of it (not revoked) under a key within the
  run never gets another. The key is the run's first period (`GrantKey(streak=...)`), so a new
  streak after a break can reach the milestone again.
- A refund lowers its order's period (the one the order occurred in): an order refunded in full
  leaves an ORDERS period, and AMOUNT_SPENT loses what was refunded. A refund grants nothing;
  under REVOKE_UNREDEEMED, an unredeemed grant no run supports any more is revoked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from engine.core.activities import Activity
from engine.core.enums import ActivityKind, IssuedRewardStatus, StreakMetric, StreakPeriod
from engine.core.grants import Grant, GrantBook, GrantKey
from engine.core.rules import Milestone, Rule, StreakSettings

# --- the calendar --------------------------------------------------------------------------


def period_of(at: datetime, period: StreakPeriod, zone: ZoneInfo) -> date:
    """The first day, in the shop's calendar, of the period `at` falls in."""
    local = at.astimezone(zone).date()
    if period == StreakPeriod.WEEK:
        return local - timedelta(days=local.weekday())
    return local.replace(day=1)


def shift(start: date, period: StreakPeriod, n: int) -> date:
    """The period `n` periods after the one starting on `start` (before it when negative)."""
    if period == StreakPeriod.WEEK:
        return start + timedelta(weeks=n)
    months = start.year * 12 + start.month - 1 + n
    return date(months // 12, months % 12 + 1, 1)


def bounds(start: date, period: StreakPeriod, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The period's first instant and the next period's, in UTC (local midnights)."""

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)

    return midnight(start), midnight(shift(start, period, 1))


# --- folding activity into periods ----------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """What one period holds: `value` in the metric's unit, `latest` the time of the latest
    activity counted in it."""

    value: int
    latest: datetime


def tallies(rule: Rule, facts: Iterable[Activity], zone: ZoneInfo) -> dict[date, Tally]:
    """Each period's value over `facts` (in any order; an activity given twice counts once)."""
    settings = _settings(rule)
    placed: dict[str, Activity] = {}
    refunds: dict[str, Activity] = {}
    reviews: dict[str, Activity] = {}
    for fact in facts:
        if fact.kind == ActivityKind.ORDER_PLACED:
            placed[fact.external_id] = fact
        elif fact.kind == ActivityKind.ORDER_REFUNDED:
            refunds[fact.external_id] = fact
        elif fact.kind == ActivityKind.REVIEW_POSTED:
            reviews[fact.external_id] = fact
    refunded: dict[str, int] = defaultdict(int)
    for refund in refunds.values():
        refunded[refund.order_id or ""] += refund.amount
    counted: list[tuple[datetime, int]] = []
    if settings.metric == StreakMetric.REVIEWS:
        counted = [(r.occurred_at, 1) for r in reviews.values()]
    else:
        for order in placed.values():
            taken = refunded[order.external_id]
            if settings.metric == StreakMetric.ORDERS:
                counted.append((order.occurred_at, 0 if order.amount and taken >= order.amount else 1))
            else:
                counted.append((order.occurred_at, order.amount - taken))
    values: dict[date, int] = defaultdict(int)
    latest: dict[date, datetime] = {}
    for at, value in counted:
        if value <= 0 or not rule.counts(at):
            continue
        start = period_of(at, settings.period, zone)
        values[start] += value
        latest[start] = max(latest.get(start, at), at)
    return {start: Tally(value, latest[start]) for start, value in values.items()}


def _settings(rule: Rule) -> StreakSettings:
    if rule.streak is None:
        raise ValueError(f"rule {rule.id} is not a STREAK rule")
    return rule.streak


# --- runs and the view ----------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """Consecutive met periods: `start` is the first's first day, `end` the last's."""

    start: date
    end: date
    length: int

    def holds(self, day: date) -> bool:
        return self.start <= day <= self.end


def runs(found: dict[date, Tally], settings: StreakSettings) -> list[Run]:
    """The runs of met periods, oldest first."""
    met = sorted(start for start, tally in found.items() if tally.value >= settings.floor)
    result: list[Run] = []
    for start in met:
        last = result[-1] if result else None
        if last is not None and shift(last.end, settings.period, 1) == start:
            result[-1] = Run(last.start, start, last.length + 1)
        else:
            result.append(Run(start, start, 1))
    return result


@dataclass(frozen=True)
class StreakView:
    """A customer's streak on a rule as of a moment."""

    current: int  # consecutive met periods through the current one (or the previous one)
    best: int
    period: date  # the current period's first day
    value: int  # what the current period holds
    minimum: int
    runs: tuple[Run, ...] = ()
    current_run: Run | None = None

    @property
    def met(self) -> bool:
        return self.value >= self.minimum


def view(found: dict[date, Tally], settings: StreakSettings, zone: ZoneInfo, now: datetime) -> StreakView:
    """The streak as of `now`: a period that ended without enough activity has broken it."""
    this = period_of(now, settings.period, zone)
    previous = shift(this, settings.period, -1)
    all_runs = runs(found, settings)
    current = next((r for r in all_runs if r.holds(this) or r.end == previous), None)
    tally = found.get(this)
    return StreakView(
        current=current.length if current else 0,
        best=max((r.length for r in all_runs), default=0),
        period=this,
        value=tally.value if tally else 0,
        minimum=settings.floor,
        runs=tuple(all_runs),
        current_run=current,
    )


# --- decisions ------------------------------------------------------------------------------


@dataclass
class StreakDecision:
    """What a customer's facts decide on one STREAK rule."""

    view: StreakView
    as_of: datetime | None  # the latest activity counted
    grants: list[tuple[Milestone, GrantKey, datetime]] = field(default_factory=list)
    revocations: list[Grant] = field(default_factory=list)


def decide(
    rule: Rule,
    facts: Iterable[Activity],
    grants: GrantBook,
    zone: ZoneInfo,
    now: datetime,
    *,
    refund: bool = False,
) -> StreakDecision:
    """The view as of `now` and the milestones every run reaches that it does not hold (each
    with its key and when it was reached: the latest activity of the period that reached it).
    A `refund` only lowers: it grants nothing and, for a rule that revokes, takes back the
    unredeemed grants no run supports any more."""
    settings = _settings(rule)
    found = tallies(rule, facts, zone)
    shown = view(found, settings, zone, now)
    decision = StreakDecision(shown, max((t.latest for t in found.values()), default=None))
    for run in shown.runs if not refund else ():
        for milestone in rule.ladder.between(0, run.length):
            mine = grants.of_milestone(rule.id, milestone.id)
            if any(_live(g) and run.holds(g.key.streak) for g in mine if g.key.streak is not None):
                continue
            revision = max((g.key.revision + 1 for g in mine if g.key.streak == run.start), default=0)
            reached = found[shift(run.start, settings.period, milestone.threshold - 1)].latest
            decision.grants.append((milestone, GrantKey(revision, streak=run.start), reached))
    if refund and rule.revokes:
        for grant in _held(rule, grants):
            day = grant.key.streak
            if grant.status == IssuedRewardStatus.ISSUED and day is not None and not any(
                r.holds(day) and r.length >= grant.milestone.threshold for r in shown.runs
            ):
                decision.revocations.append(grant)
    return decision


def _live(grant: Grant) -> bool:
    return grant.status != IssuedRewardStatus.REVOKED


def _held(rule: Rule, grants: GrantBook) -> list[Grant]:
    """The rule's grants, highest milestone first (revocations go top down, as elsewhere)."""
    mine = [g for g in grants if g.rule_id == rule.id]
    return sorted(mine, key=lambda g: (g.milestone.threshold, g.id or 0), reverse=True)
