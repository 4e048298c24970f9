"""The reward event log: appended in the same transaction as the change it reports.

Each shop's events carry a gap-free sequence number (`seq`), taken by bumping the shop's
counter. The bump locks the shop's row until commit, so on PostgreSQL a shop's event writers
commit in sequence order and a reader never sees seq N+1 before seq N. The seq is the cursor.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from engine.enums import RewardEventType
from models import sql

# Called after a transaction that appended events has committed: (shop_id, last seq).
# The events layer registers the in-process wake-up here.
_after_commit: list[Callable[[int, int], None]] = []
NOTIFY_CHANNEL = "milestones_events"


def on_committed(listener: Callable[[int, int], None]) -> Callable[[int, int], None]:
    _after_commit.append(listener)
    return listener


def committed(shop_id: int, seq: int) -> None:
    """Tell this process's listeners that events up to `seq` of `shop_id` are committed."""
    for listener in list(_after_commit):
        listener(shop_id, seq)


# (type, customer_id, rule_id, milestone_id, issued_reward_id, payload) of one event.
EventItem = tuple[RewardEventType, int, int, int, int, dict[str, Any]]
# Rows per INSERT: 9 parameters each, well under both databases' limit.
_CHUNK = 2000


async def append(
    conn: BaseDBAsyncClient,
    *,
    shop_id: int,
    type: RewardEventType,
    customer_id: int,
    rule_id: int,
    milestone_id: int,
    issued_reward_id: int,
    payload: dict[str, Any],
    at: datetime,
) -> int:
    """Append one event inside the caller's transaction; returns its seq."""
    item = (type, customer_id, rule_id, milestone_id, issued_reward_id, payload)
    return await append_many(conn, shop_id=shop_id, items=[item], at=at)


async def append_many(
    conn: BaseDBAsyncClient, *, shop_id: int, items: list[EventItem], at: datetime
) -> int | None:
    """Append events in order inside the caller's transaction, taking consecutive seqs with
    one bump of the shop's counter; returns the last seq (None when there is nothing).

    On PostgreSQL a NOTIFY is queued in the same transaction: it is delivered on commit and
    dropped on rollback, so other processes wake only for events that exist.
    """
    if not items:
        return None
    row = await sql.fetch_one(
        conn,
        "UPDATE shops SET event_seq = event_seq + $2 WHERE id = $1 RETURNING event_seq",
        shop_id,
        len(items),
    )
    last = int(row["event_seq"])
    rows = [
        (shop_id, last - len(items) + 1 + n, RewardEventType(type).value, customer_id, rule_id,
         milestone_id, reward_id, json.dumps(payload, separators=(",", ":")), at)
        for n, (type, customer_id, rule_id, milestone_id, reward_id, payload) in enumerate(items)
    ]
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        await sql.execute(
            conn,
            "INSERT INTO reward_events (shop_id, seq, type, customer_id, rule_id, milestone_id,"
            f" issued_reward_id, payload, created_at) VALUES {sql.value_rows(len(chunk), 9)}",
            *[value for row in chunk for value in row],
        )
    if not sql.is_sqlite(conn):
        # Followers read everything up to the seq they are told, so one wake-up is enough.
        await sql.execute(conn, "SELECT pg_notify($1, $2)", NOTIFY_CHANNEL, f"{shop_id}:{last}")
    return last
