"""The activity log read back in customer order, a page of customers at a time, for replaying
it through the core without holding more than one page (a preview)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.core.activities import Activity
from engine.core.enums import ActivityKind, RuleType
from engine.core.state import Fact, PointsCredit
from engine.store.driver import Fetch, Work
from engine.store.sql import marks, moment

_COLUMNS = "a.id, a.kind, a.external_id, a.occurred_at, a.amount, a.subject_id, a.customer_id"
_KINDS = {kind.value: kind for kind in ActivityKind}
_POINTS, _REFUND = ActivityKind.POINTS_EARNED, ActivityKind.ORDER_REFUNDED


def _activities(rows: Any, external_ids: dict[int, str]) -> dict[int, list[Fact]]:
    """`activity_of` for every row, by customer: by position, in one loop, trusting the log's
    own values (this runs for every row a replay reads; times are aware on both databases)."""
    found: dict[int, list[Fact]] = {}
    kinds, parse, new = _KINDS, datetime.fromisoformat, Activity
    for activity_id, kind_name, external_id, occurred_at, amount, subject, customer_id in rows:
        kind = kinds[kind_name]
        at = parse(occurred_at) if occurred_at.__class__ is str else occurred_at
        amount = amount or 0
        who = external_ids[customer_id]
        if kind is _POINTS:
            activity = new(kind, who, external_id, at, {}, "", None, 0, None, subject, amount, activity_id)
        elif kind is _REFUND:
            activity = new(kind, who, external_id, at, {}, "", None, amount, subject, None, 0, activity_id)
        else:
            activity = new(kind, who, external_id, at, {}, "", None, amount, None, subject, 0, activity_id)
        mine = found.get(customer_id)
        if mine is None:
            found[customer_id] = [activity]
        else:
            mine.append(activity)
    return found


@dataclass(frozen=True)
class Window:
    """Activity that occurred at or after `start` (None: from the beginning) and before `end`."""

    start: datetime | None
    end: datetime

    def clauses(self, column: str, first: int) -> tuple[str, list[datetime]]:
        """SQL conditions on `column` with placeholders from `first`, and their values."""
        if self.start is None:
            return f" AND {column} < ${first}", [self.end]
        return f" AND {column} >= ${first} AND {column} < ${first + 1}", [self.start, self.end]


@dataclass(frozen=True)
class Page:
    facts: dict[int, list[Fact]]  # by customer id, only customers with facts
    last_customer_id: int | None  # None: no customers after the page's start
    rows: int  # activities and points credits read
    activities: int


def page(
    shop_id: int,
    after: int,
    size: int,
    window: Window,
    kinds: Sequence[str] | None,
    credits: bool,
) -> Work[Page]:
    """The next `size` customers of the shop after customer id `after`, and their facts in the
    window: activities of `kinds` (every kind when None) and, with `credits`, the points rewards
    credited them (with the rule that granted each)."""
    found = yield Fetch(
        "SELECT id, external_id FROM customers WHERE shop_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        (shop_id, after, size),
    )
    if not found:
        return Page({}, None, 0, 0)
    ids = [int(r[0]) for r in found]
    external = {int(r[0]): r[1] for r in found}
    # The page's customers are the shop's: their activities are too. (Filtering on shop_id as
    # well would lead SQLite to the shop's (kind, time) index, a scan of the whole log per page.)
    params: list = [*ids]
    kind_clause = ""
    if kinds is not None:
        kind_clause = f" AND a.kind IN ({marks(len(kinds), len(params) + 1)})"
        params += kinds
    time_clause, times = window.clauses("a.occurred_at", len(params) + 1)
    rows = yield Fetch(
        f"SELECT {_COLUMNS} FROM activities a"
        f" WHERE a.customer_id IN ({marks(len(ids))}){kind_clause}{time_clause}",
        (*params, *times),
        plain=True,
    )
    facts = _activities(rows, external)
    count = len(rows)
    if credits:
        time_clause, times = window.clauses("l.occurred_at", len(ids) + 1)
        credited = yield Fetch(
            "SELECT l.customer_id, l.delta, l.occurred_at, l.activity_id, r.rule_id, u.type"
            " FROM ledger_entries l JOIN issued_rewards r ON r.id = l.issued_reward_id"
            " JOIN milestone_rules u ON u.id = r.rule_id"
            f" WHERE l.customer_id IN ({marks(len(ids))}) AND l.account = 'POINTS' AND l.reason = 'REWARD'"
            f"{time_clause}",
            (*ids, *times),
        )
        for row in credited:
            facts.setdefault(int(row["customer_id"]), []).append(
                PointsCredit(int(row["delta"]), moment(row["occurred_at"]), int(row["activity_id"] or 0),
                             int(row["rule_id"]), RuleType(row["type"]))
            )
        count += len(credited)
    return Page(facts, ids[-1], count, len(rows))
