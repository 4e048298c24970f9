"""The reward event log's writes: events appended in the transaction of the change they
report, and numbered with the shop's gap-free sequence (`seq`, the cursor).

Readers see an event only once it has a seq, and seqs are handed out one shop at a time in
the order they are taken, so a reader resuming after seq N never misses one. On SQLite the
writing transaction takes them itself: SQLite runs one writer at a time anyway. On PostgreSQL
an event is written without a seq and numbered right after its transaction commits, by a
short transaction that numbers everything of the shop committed meanwhile: concurrent
writers never wait for each other, and seqs still follow the order readers can see events.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.core.decisions import Event
from engine.core.enums import RewardEventType
from engine.core.events import stored_payload
from engine.store.driver import ExecuteMany, Fetch, Work
from engine.store.sql import value_rows

NOTIFY_CHANNEL = "milestones_events"
_COLUMNS = "shop_id, seq, type, customer_id, rule_id, milestone_id, issued_reward_id, payload, created_at"

@dataclass(frozen=True)
class EventRow:
    """One event as the log stores it."""

    type: RewardEventType
    customer_id: int
    rule_id: int
    milestone_id: int
    issued_reward_id: int
    payload: dict[str, Any]

    @classmethod
    def of(cls, event: Event, customer_external_id: str, reward_id: int) -> EventRow:
        grant = event.grant
        return cls(
            event.type, grant.customer_id, event.rule.id, grant.milestone.id, reward_id,
            stored_payload(event, customer_external_id, reward_id),
        )


def append(shop_id: int, items: Sequence[EventRow], now: datetime, *, sequenced: bool) -> Work[int | None]:
    """Append events in order; with `sequenced`, number them now and return the last seq."""
    if not items:
        return None
    last = None
    if sequenced:
        row = (yield Fetch(
            "UPDATE shops SET event_seq = event_seq + $2 WHERE id = $1 RETURNING event_seq",
            (shop_id, len(items)),
        ))[0]
        last = int(row["event_seq"])
    first = None if last is None else last - len(items) + 1
    rows = [
        (shop_id, None if first is None else first + n, e.type.value, e.customer_id, e.rule_id,
         e.milestone_id, e.issued_reward_id, json.dumps(e.payload, separators=(",", ":")), now)
        for n, e in enumerate(items)
    ]
    if rows:
        yield ExecuteMany(f"INSERT INTO reward_events ({_COLUMNS}) VALUES {value_rows(1, 9)}", rows)
    return last


def sequence(shop_id: int) -> Work[int | None]:
    """Number the shop's committed events that have no seq yet, in the order they were
    written, after the last seq; tell every process's followers (PostgreSQL only). Returns the
    last seq given, or None when there was nothing to number."""
    yield Fetch("SELECT pg_advisory_xact_lock($1, $2::int)", (_LOCK_SPACE, shop_id))
    rows = yield Fetch(
        "UPDATE reward_events AS e SET seq = s.base + s.n"
        " FROM (SELECT id, row_number() OVER (ORDER BY id) AS n,"
        " (SELECT coalesce(max(seq), 0) FROM reward_events WHERE shop_id = $1) AS base"
        " FROM reward_events WHERE shop_id = $1 AND seq IS NULL) AS s"
        " WHERE e.id = s.id RETURNING e.seq",
        (shop_id,),
    )
    if not rows:
        return None
    last = max(int(r["seq"]) for r in rows)
    yield Fetch("SELECT pg_notify($1, $2)", (NOTIFY_CHANNEL, f"{shop_id}:{last}"))
    return last


def unsequenced_shops() -> Work[list[int]]:
    """Shops with committed events still waiting for a seq (a process died in between)."""
    rows = yield Fetch("SELECT DISTINCT shop_id FROM reward_events WHERE seq IS NULL")
    return [int(r["shop_id"]) for r in rows]


# The first key of the advisory locks that serialize one shop's numbering.
_LOCK_SPACE = 7301
