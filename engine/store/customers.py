"""Customers: created on first sight, locked first by every unit of work that changes them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from engine.core.decisions import CustomerUpdate
from engine.store.driver import Execute, ExecuteMany, Fetch, Work
from engine.store.sql import marks, moment


@dataclass(frozen=True)
class Seen:
    """A customer a unit of work names: the store's id and when they were first seen."""

    external_id: str
    at: datetime
    email: str | None = None


@dataclass(frozen=True)
class Locked:
    id: int
    external_id: str
    last_activity_at: datetime


def upsert(shop_id: int, seen: Sequence[Seen], dialect: str) -> Work[dict[str, Locked]]:
    """Create the customers not seen before and lock every one.

    One customer (live recording) is created or locked in one statement. Several (an import
    batch) are created first, then locked in id order, the order of every unit of work that
    locks several customers, so that two of them never wait for each other in a circle.
    """
    unique = {s.external_id: s for s in seen}
    values = [v for s in unique.values() for v in (s.external_id, s.email, s.at, s.at)]
    insert = (
        "INSERT INTO customers (shop_id, external_id, email, first_seen_at, last_activity_at,"
        " orders_count, total_spent, total_refunded, reviews_count, referrals_count,"
        " points_balance, store_credit_balance) VALUES "
        + ", ".join(
            f"($1, ${4 * n + 2}, ${4 * n + 3}, ${4 * n + 4}, ${4 * n + 5}, 0, 0, 0, 0, 0, 0, 0)"
            for n in range(len(unique))
        )
        + " ON CONFLICT (shop_id, external_id)"
    )
    if len(unique) == 1:
        rows = yield Fetch(
            insert + " DO UPDATE SET external_id = excluded.external_id RETURNING id, external_id, last_activity_at",
            (shop_id, *values),
        )
    else:
        yield Execute(insert + " DO NOTHING", (shop_id, *values))
        rows = yield Fetch(
            "SELECT id, external_id, last_activity_at FROM customers WHERE shop_id = $1"
            f" AND external_id IN ({marks(len(unique), 2)}) ORDER BY id"
            + ("" if dialect == "sqlite" else " FOR UPDATE"),
            (shop_id, *unique),
        )
    return {r["external_id"]: _locked(r) for r in rows}


def _locked(row) -> Locked:
    return Locked(int(row["id"]), row["external_id"], moment(row["last_activity_at"]))


def lock(customer_ids: Sequence[int], for_update: bool) -> Work[dict[int, Locked]]:
    """Existing customers, locked in id order with `for_update` (PostgreSQL; SQLite's
    transactions hold the whole database instead): the order every unit of work that locks
    several customers takes."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    rows = yield Fetch(
        f"SELECT id, external_id, last_activity_at FROM customers WHERE id IN ({marks(len(ids))})"
        " ORDER BY id" + (" FOR UPDATE" if for_update else ""),
        ids,
    )
    return {int(r["id"]): _locked(r) for r in rows}


def update(updates: Sequence[tuple[int, CustomerUpdate]], greatest: str, least: str) -> Work[None]:
    """Add to each customer's lifetime figures and balances, keep the later last activity and
    the earlier first sighting, set a new email: one statement for all of them."""
    if not updates:
        return
    yield ExecuteMany(
        "UPDATE customers SET orders_count = orders_count + $1, total_spent = total_spent + $2,"
        " total_refunded = total_refunded + $3, reviews_count = reviews_count + $4,"
        " referrals_count = referrals_count + $5, points_balance = points_balance + $6,"
        " store_credit_balance = store_credit_balance + $7,"
        f" last_activity_at = {greatest}(last_activity_at, coalesce($8, last_activity_at)),"
        f" first_seen_at = {least}(first_seen_at, coalesce($9, first_seen_at)),"
        " email = coalesce($10, email) WHERE id = $11",
        [
            (u.orders, u.spent, u.refunded, u.reviews, u.referrals, u.points, u.credit,
             u.last_activity_at, u.first_seen_at, u.email, customer_id)
            for customer_id, u in sorted(updates, key=lambda item: item[0])
        ],
    )

