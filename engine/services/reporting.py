"""What the admin reads about a shop as a whole: each rule's figures, and customers found by
prefix and sorted. Every function is one statement for any number of rules or customers, and
each statement is served by an index (migrations/0005_reporting_indexes.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from engine.core.enums import IssuedRewardStatus, RewardKind, RuleType
from engine.services import clock
from engine.store import sql
from engine.store.sql import marks


@dataclass(frozen=True)
class RewardTotals:
    """A rule's rewards ever issued, whatever became of them since; money in minor units."""

    issued: int = 0
    redeemed: int = 0
    points: int = 0
    store_credit: int = 0
    discount_face_value: int = 0


def _json_int(conn, column: str, key: str) -> str:
    if sql.is_sqlite(conn):
        return f"CAST(json_extract({column}, '$.{key}') AS INTEGER)"
    return f"CAST({column} ->> '{key}' AS BIGINT)"


async def reward_totals(rule_ids: Sequence[int]) -> dict[int, RewardTotals]:
    """Each rule's issued rewards counted and summed (rules with none are left out)."""
    if not rule_ids:
        return {}
    conn = sql.current()
    points, amount = _json_int(conn, "reward", "points"), _json_int(conn, "reward", "amount")
    rows = await sql.fetch(
        conn,
        "SELECT rule_id, COUNT(*) AS issued,"
        " SUM(CASE WHEN status = $1 THEN 1 ELSE 0 END) AS redeemed,"
        # A choice not made yet gives nothing: its reward is only the default option.
        f" SUM(CASE WHEN kind = $2 AND status <> $5 THEN {points} ELSE 0 END) AS points,"
        f" SUM(CASE WHEN kind = $3 AND status <> $5 THEN {amount} ELSE 0 END) AS store_credit,"
        f" SUM(CASE WHEN kind = $4 AND status <> $5 THEN {amount} ELSE 0 END) AS discount"
        f" FROM issued_rewards WHERE rule_id IN ({marks(len(rule_ids), 6)}) GROUP BY rule_id",
        IssuedRewardStatus.REDEEMED.value,
        RewardKind.POINTS.value,
        RewardKind.STORE_CREDIT.value,
        RewardKind.FIXED_DISCOUNT.value,
        IssuedRewardStatus.PENDING_CHOICE.value,
        *rule_ids,
    )
    return {
        int(r["rule_id"]): RewardTotals(
            int(r["issued"]), int(r["redeemed"] or 0), int(r["points"] or 0),
            int(r["store_credit"] or 0), int(r["discount"] or 0),
        )
        for r in rows
    }


async def customers_with_progress(
    shop_id: int, rules: Sequence[tuple[int, RuleType]], as_of: datetime | None = None
) -> dict[int, int]:
    """How many customers have a value above zero on each rule: a count, money, points or
    cycles for most types, a current step for MIXED, a whole day idle for INACTIVITY."""
    conn = sql.current()
    counted = [rule_id for rule_id, kind in rules if kind != RuleType.INACTIVITY]
    idle = [rule_id for rule_id, kind in rules if kind == RuleType.INACTIVITY]
    found = {rule_id: 0 for rule_id, _ in rules}
    if counted:
        for row in await sql.fetch(
            conn,
            "SELECT rule_id, COUNT(*) AS n FROM rule_progress"
            f" WHERE rule_id IN ({marks(len(counted))}) AND (value > 0 OR step > 0)"
            " GROUP BY rule_id",
            *counted,
        ):
            found[int(row["rule_id"])] = int(row["n"])
    if idle:
        # Every INACTIVITY rule of a shop counts the same customers: one statement for all.
        cutoff = clock.shifted(as_of or clock.now(), -1)
        idle_count = await sql.fetch_one(
            conn,
            "SELECT COUNT(*) AS n FROM customers WHERE shop_id = $1 AND last_activity_at <= $2",
            shop_id,
            cutoff,
        )
        for rule_id in idle:
            found[rule_id] = int(idle_count["n"]) if idle_count else 0
    return found


async def customers_reached(milestone_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """For each milestone that exists: (its rule, how many customers hold a reward for it
    that was not revoked)."""
    if not milestone_ids:
        return {}
    rows = await sql.fetch(
        sql.current(),
        "SELECT m.id, m.rule_id, COUNT(DISTINCT r.customer_id) AS n FROM milestones m"
        " LEFT JOIN issued_rewards r ON r.rule_id = m.rule_id AND r.milestone_id = m.id"
        " AND r.status <> $1"
        f" WHERE m.id IN ({marks(len(milestone_ids), 2)}) GROUP BY m.id, m.rule_id",
        IssuedRewardStatus.REVOKED.value,
        *milestone_ids,
    )
    return {int(r["id"]): (int(r["rule_id"]), int(r["n"])) for r in rows}


class CustomerOrder(Enum):
    """How a page of customers is sorted; each has its default direction."""

    CREATED = "CREATED"  # oldest first
    LAST_ACTIVITY = "LAST_ACTIVITY"  # most recently active first
    TOTAL_SPENT = "TOTAL_SPENT"  # biggest spender first


_COLUMN = {
    CustomerOrder.CREATED: None,
    CustomerOrder.LAST_ACTIVITY: "last_activity_at",
    CustomerOrder.TOTAL_SPENT: "total_spent",
}
_DESCENDING = {
    CustomerOrder.CREATED: False,
    CustomerOrder.LAST_ACTIVITY: True,
    CustomerOrder.TOTAL_SPENT: True,
}


@dataclass(frozen=True)
class CustomerSearch:
    shop_id: int
    order: CustomerOrder = CustomerOrder.CREATED
    reverse: bool = False
    prefix: str = ""  # matches the start of the external id, or of the email in any case

    @property
    def descending(self) -> bool:
        return _DESCENDING[self.order] != self.reverse


def _successor(prefix: str) -> str | None:
    """The least string above every string that starts with `prefix`, in code point order."""
    while prefix:
        code = ord(prefix[-1]) + 1
        if 0xD800 <= code <= 0xDFFF:
            code = 0xE000  # no text holds a lone surrogate
        if code <= 0x10FFFF:
            return prefix[:-1] + chr(code)
        prefix = prefix[:-1]
    return None


def _prefix_clause(conn, prefix: str, first_mark: int) -> tuple[str, list[Any]]:
    """Ranges on the external id and the lower-cased email, compared in code point order, so
    that an index serves them on both databases (PostgreSQL's own collation would not)."""
    c = "" if sql.is_sqlite(conn) else ' COLLATE "C"'
    terms: list[str] = []
    params: list[Any] = []
    for column, value in (("external_id", prefix), ("lower(email)", prefix.lower())):
        upper = _successor(value)
        mark = first_mark + len(params)
        if upper is None:
            terms.append(f"{column}{c} >= ${mark}")
            params.append(value)
        else:
            terms.append(f"({column}{c} >= ${mark} AND {column}{c} < ${mark + 1})")
            params += [value, upper]
    return "(" + " OR ".join(terms) + ")", params


def _where(conn, search: CustomerSearch) -> tuple[str, list[Any]]:
    where, params = "shop_id = $1", [search.shop_id]
    if search.prefix:
        clause, more = _prefix_clause(conn, search.prefix, 2)
        where, params = f"{where} AND {clause}", params + more
    return where, params


async def customer_page(
    search: CustomerSearch, size: int, after: tuple[Any, int] | None
) -> list[tuple[int, Any]]:
    """Up to `size` (id, sort value) pairs after the (sort value, id) of `after`, in order."""
    conn = sql.current()
    where, params = _where(conn, search)
    column = _COLUMN[search.order]
    op, direction = ("<", "DESC") if search.descending else (">", "ASC")
    if after is not None:
        value, last_id = after
        mark = len(params) + 1
        if column is None:
            where += f" AND id {op} ${mark}"
            params.append(last_id)
        else:
            # A row comparison: both databases turn it into a range of the sort's index.
            where += f" AND ({column}, id) {op} (${mark}, ${mark + 1})"
            params += [value, last_id]
    order = f"{column} {direction}, id {direction}" if column else f"id {direction}"
    rows = await sql.fetch(
        conn,
        f"SELECT id{', ' + column if column else ''} FROM customers WHERE {where}"
        f" ORDER BY {order} LIMIT {int(size)}",
        *params,
    )
    if column is None:
        return [(int(r["id"]), int(r["id"])) for r in rows]
    if search.order == CustomerOrder.LAST_ACTIVITY:
        return [(int(r["id"]), sql.to_datetime(r[column])) for r in rows]
    return [(int(r["id"]), int(r[column])) for r in rows]


async def customer_count(search: CustomerSearch) -> int:
    conn = sql.current()
    where, params = _where(conn, search)
    row = await sql.fetch_one(conn, f"SELECT COUNT(*) AS n FROM customers WHERE {where}", *params)
    return int(row["n"]) if row else 0
