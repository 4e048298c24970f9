"""The activity log read back in customer order, a page of customers at a time, for replaying
it through the core without holding more than one page (a preview).

A page keeps its rows as the database gave them and makes each customer's facts only when
asked, one customer after the other: the facts of a customer are folded and dropped before
the next customer's are made, so they die young and the garbage collector, which would
otherwise walk every fact of the page again and again, hardly sees them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.core.activities import Activity
from engine.core.enums import ActivityKind, RuleType
from engine.core.state import Fact, PointsCredit
from engine.store.driver import Fetch, Work
from engine.store.sql import marks, moment

_COLUMNS = "a.customer_id, a.id, a.kind, a.external_id, a.occurred_at, a.amount, a.subject_id"
_KINDS = {kind.value: kind for kind in ActivityKind}
_POINTS, _REFUND = ActivityKind.POINTS_EARNED, ActivityKind.ORDER_REFUNDED


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


@dataclass
class Page:
    last_customer_id: int | None  # None: no customers after the page's start
    external_ids: dict[int, str] = field(default_factory=dict)
    rows: Sequence[Any] = ()  # activities, in customer order
    credits: dict[int, list[Fact]] = field(default_factory=dict)  # points credits, by customer

    @property
    def size(self) -> int:
        """Activities and credits read."""
        return len(self.rows) + sum(len(c) for c in self.credits.values())

    def customers(self) -> Iterator[tuple[int, list[Fact]]]:
        """Each customer with facts, with them (customers with only points credits last), made
        one customer at a time (`activity_of` by position, trusting the log's own values: this runs for every
        row a replay reads; times are text with their offset on SQLite, aware on asyncpg)."""
        kinds, parse, new = _KINDS, datetime.fromisoformat, Activity
        credits = dict(self.credits)
        facts: list[Fact] = []
        current: int | None = None
        for customer_id, activity_id, kind_name, external_id, occurred_at, amount, subject in self.rows:
            if customer_id != current:
                if current is not None:
                    yield current, facts + credits.pop(current, [])
                current, facts = customer_id, []
            kind = kinds[kind_name]
            at = parse(occurred_at) if occurred_at.__class__ is str else occurred_at
            amount = amount or 0
            who = self.external_ids[customer_id]
            if kind is _POINTS:
                facts.append(new(kind, who, external_id, at, {}, "", None, 0, None, subject, amount, activity_id))
            elif kind is _REFUND:
                facts.append(new(kind, who, external_id, at, {}, "", None, amount, subject, None, 0, activity_id))
            else:
                facts.append(new(kind, who, external_id, at, {}, "", None, amount, None, subject, 0, activity_id))
        if current is not None:
            yield current, facts + credits.pop(current, [])
        yield from sorted(credits.items())


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
        return Page(None)
    ids = [int(r[0]) for r in found]
    # Joined to the page's customers by id range rather than given their ids: one statement
    # text whatever the page, which PostgreSQL prepares once, and on both databases a walk of
    # the customers' index, then of each one's activities.
    params: list = [shop_id, after, ids[-1]]
    kind_clause = ""
    if kinds is not None:
        kind_clause = f" AND a.kind IN ({marks(len(kinds), len(params) + 1)})"
        params += kinds
    time_clause, times = window.clauses("a.occurred_at", len(params) + 1)
    rows = yield Fetch(
        f"SELECT {_COLUMNS} FROM customers c JOIN activities a ON a.customer_id = c.id"
        f" WHERE c.shop_id = $1 AND c.id > $2 AND c.id <= $3{kind_clause}{time_clause} ORDER BY c.id",
        (*params, *times),
        plain=True,
    )
    result = Page(ids[-1], {int(r[0]): r[1] for r in found}, rows)
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
            result.credits.setdefault(int(row["customer_id"]), []).append(
                PointsCredit(int(row["delta"]), moment(row["occurred_at"]), int(row["activity_id"] or 0),
                             int(row["rule_id"]), RuleType(row["type"]))
            )
    return result
