"""The activity log: storing activity exactly once, and reading back what evaluation needs of
it (a refunded order, a customer's contracts, a customer's history for a replay)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from engine.core.activities import Activity
from engine.core.enums import ActivityKind, RuleType
from engine.core.journeys import JOURNEY_KINDS
from engine.core.state import Fact, Order, PointsCredit
from engine.store.driver import Fetch, Work
from engine.store.sql import ROWS_PER_STATEMENT, marks, moment, value_rows

_COLUMNS = (
    "shop_id, customer_id, kind, external_id, payload, payload_hash, occurred_at, recorded_at,"
    " amount, subject_id"
)
_WIDTH = 10
# Rows per statement, well inside both databases' limit on parameters.
CHUNK = 2000


def stored_amount(activity: Activity) -> int | None:
    """The `amount` column: an order's total, a refund's amount, points earned."""
    if activity.kind in (ActivityKind.ORDER_PLACED, ActivityKind.ORDER_REFUNDED):
        return activity.amount
    if activity.kind == ActivityKind.POINTS_EARNED:
        return activity.points
    return None


def insert(
    shop_id: int, activities: Sequence[tuple[int, Activity]], now: datetime
) -> Work[dict[tuple[str, str], int]]:
    """Store (customer id, activity) pairs under their idempotency keys; returns the ids of
    those stored now by (kind, external id): the others were recorded before."""
    stored: dict[tuple[str, str], int] = {}
    for start in range(0, len(activities), ROWS_PER_STATEMENT):
        chunk = activities[start : start + ROWS_PER_STATEMENT]
        rows = yield Fetch(
            f"INSERT INTO activities ({_COLUMNS}) VALUES {value_rows(len(chunk), _WIDTH)}"
            " ON CONFLICT (shop_id, kind, external_id) DO NOTHING RETURNING id, kind, external_id",
            [
                value
                for customer_id, a in chunk
                for value in (
                    shop_id, customer_id, a.kind.value, a.external_id,
                    json.dumps(a.payload, separators=(",", ":")), a.payload_hash, a.occurred_at, now,
                    stored_amount(a), a.subject_id,
                )
            ],
        )
        stored.update({(r["kind"], r["external_id"]): int(r["id"]) for r in rows})
    return stored


def recorded(shop_id: int, keys: Sequence[tuple[str, str]]) -> Work[dict[tuple[str, str], Any]]:
    """The stored activities with these (kind, external id) keys: id, customer, payload hash,
    and the rewards their evaluation issued. One statement per kind and CHUNK ids (a batch
    sent again asks for all of its keys)."""
    by_kind: dict[str, list[str]] = defaultdict(list)
    for kind, external_id in dict.fromkeys(keys):
        by_kind[kind].append(external_id)
    found: dict[tuple[str, str], Any] = {}
    for kind, external_ids in sorted(by_kind.items()):
        for start in range(0, len(external_ids), CHUNK):
            chunk = external_ids[start : start + CHUNK]
            rows = yield Fetch(
                "SELECT a.id, a.kind, a.external_id, a.customer_id, a.payload_hash, r.id AS reward_id"
                " FROM activities a LEFT JOIN issued_rewards r ON r.activity_id = a.id"
                f" WHERE a.shop_id = $1 AND a.kind = $2 AND a.external_id IN ({marks(len(chunk), 3)})"
                " ORDER BY a.id, r.id",
                (shop_id, kind, *chunk),
            )
            for row in rows:
                key = (row["kind"], row["external_id"])
                entry = found.setdefault(
                    key, {"id": int(row["id"]), "customer_id": int(row["customer_id"]),
                          "payload_hash": row["payload_hash"], "reward_ids": []},
                )
                if row["reward_id"] is not None:
                    entry["reward_ids"].append(int(row["reward_id"]))
    return found


def orders(shop_id: int, order_ids: Sequence[str], excluding: set[int]) -> Work[dict[str, Order]]:
    """The orders with these store ids and what their refunds (other than `excluding`) took."""
    ids = sorted(set(order_ids))
    if not ids:
        return {}
    rows = yield Fetch(
        "SELECT id, kind, external_id, subject_id, customer_id, amount, occurred_at FROM activities"
        f" WHERE shop_id = $1 AND ((kind = 'ORDER_PLACED' AND external_id IN ({marks(len(ids), 2)}))"
        f" OR (kind = 'ORDER_REFUNDED' AND subject_id IN ({marks(len(ids), 2)})))",
        (shop_id, *ids),
    )
    placed = {r["external_id"]: r for r in rows if r["kind"] == ActivityKind.ORDER_PLACED.value}
    refunded: dict[str, int] = defaultdict(int)
    for r in rows:
        if r["kind"] == ActivityKind.ORDER_REFUNDED.value and int(r["id"]) not in excluding:
            refunded[r["subject_id"]] += int(r["amount"] or 0)
    return {
        order_id: Order(order_id, int(r["customer_id"]), int(r["amount"] or 0), refunded[order_id],
                        moment(r["occurred_at"]))
        for order_id, r in placed.items()
    }


def order_of(shop_id: int, order_id: str) -> Work[tuple[Order, str] | None]:
    """One order as refunds left it, with its customer's external id."""
    found = yield from orders(shop_id, [order_id], set())
    if order_id not in found:
        return None
    order = found[order_id]
    rows = yield Fetch("SELECT external_id FROM customers WHERE id = $1", (order.customer_id,))
    return order, rows[0]["external_id"]


_SUBSCRIPTION_KINDS = "('SUBSCRIPTION_BILLED', 'SUBSCRIPTION_CANCELLED')"
_ACTIVITY_COLUMNS = (
    "a.id, a.kind, a.external_id, a.occurred_at, a.amount, a.subject_id, a.customer_id,"
    " c.external_id AS customer_external_id"
)


def activity_of(row: Any) -> Activity:
    """An activity read back from the log, as history (without its payload)."""
    kind = ActivityKind(row["kind"])
    amount = int(row["amount"] or 0)
    return Activity(
        kind=kind,
        customer_external_id=row["customer_external_id"],
        external_id=row["external_id"],
        occurred_at=moment(row["occurred_at"]),
        payload={},
        payload_hash="",
        amount=amount if kind != ActivityKind.POINTS_EARNED else 0,
        points=amount if kind == ActivityKind.POINTS_EARNED else 0,
        order_id=row["subject_id"] if kind == ActivityKind.ORDER_REFUNDED else None,
        contract_id=row["subject_id"] if kind != ActivityKind.ORDER_REFUNDED else None,
        id=int(row["id"]),
    )


def subscriptions(
    shop_id: int, customer_ids: Sequence[int], contract_ids: Sequence[str], excluding: set[int]
) -> Work[list[Activity]]:
    """The billings and cancellations of these customers and of these contracts (whoever they
    belong to), other than `excluding`."""
    customers, contracts = sorted(set(customer_ids)), sorted(set(contract_ids))
    rows = yield Fetch(
        f"SELECT {_ACTIVITY_COLUMNS} FROM activities a JOIN customers c ON c.id = a.customer_id"
        f" WHERE a.shop_id = $1 AND a.kind IN {_SUBSCRIPTION_KINDS}"
        f" AND (a.customer_id IN ({marks(len(customers), 2) or 'NULL'})"
        f" OR a.subject_id IN ({marks(len(contracts), 2 + len(customers)) or 'NULL'}))",
        (shop_id, *customers, *contracts),
    )
    return [activity_of(r) for r in rows if int(r["id"]) not in excluding]


_JOURNEY_KIND_NAMES = tuple(sorted(kind.value for kind in JOURNEY_KINDS))


def history(
    customer_ids: Sequence[int],
    excluding: set[int],
    kinds: Sequence[str] = _JOURNEY_KIND_NAMES,
    credits: bool = True,
) -> Work[dict[int, list[Fact]]]:
    """These customers' facts: their activities of `kinds` (by default those MIXED journeys
    count) other than `excluding`, and with `credits` the points rewards credited them."""
    ids = sorted(set(customer_ids))
    rows = yield Fetch(
        f"SELECT {_ACTIVITY_COLUMNS} FROM activities a JOIN customers c ON c.id = a.customer_id"
        f" WHERE a.customer_id IN ({marks(len(ids))}) AND a.kind IN ({marks(len(kinds), len(ids) + 1)})",
        (*ids, *kinds),
    )
    found: dict[int, list[Fact]] = {c: [] for c in ids}
    for row in rows:
        if int(row["id"]) not in excluding:
            found[int(row["customer_id"])].append(activity_of(row))
    if not credits:
        return found
    credited = yield Fetch(
        "SELECT l.customer_id, l.delta, l.occurred_at, l.activity_id, r.rule_id, u.type"
        " FROM ledger_entries l JOIN issued_rewards r ON r.id = l.issued_reward_id"
        " JOIN milestone_rules u ON u.id = r.rule_id"
        f" WHERE l.customer_id IN ({marks(len(ids))}) AND l.account = 'POINTS' AND l.reason = 'REWARD'",
        ids,
    )
    for row in credited:
        found[int(row["customer_id"])].append(
            PointsCredit(int(row["delta"]), moment(row["occurred_at"]), int(row["activity_id"] or 0),
                         int(row["rule_id"]), RuleType(row["type"]))
        )
    return found
