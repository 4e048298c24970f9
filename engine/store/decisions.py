"""Writing decisions: the same few statements for one activity, a page of the sweep or a batch
of an import.

Progress, rewards, ledger entries and events are each written in one statement (in chunks for
large batches), customers' rows in one more. The unique grant key stays the last line of
defence: a grant another transaction took first fails the insert, and the unit of work runs
again on fresh reads; so does a revocation of a reward that moved meanwhile.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from engine.core.decisions import CustomerUpdate, Decision
from engine.core.enums import IssuedRewardStatus
from engine.core.grants import Grant
from engine.store import customers, events
from engine.store.driver import Conflict, ExecuteMany, Fetch, Work
from engine.store.sql import ROWS_PER_STATEMENT, marks, value_rows

CHUNK = 2000

_REWARD_COLUMNS = (
    "shop_id, customer_id, rule_id, milestone_id, activity_id, grant_key, kind, reward, status,"
    " code, expires_at, issued_at, revoked_at, reward_options, choice_expires_at"
)
_LEDGER_COLUMNS = (
    "shop_id, customer_id, account, delta, reason, activity_id, issued_reward_id, occurred_at,"
    " created_at"
)


def _chunks(rows: list, size: int = CHUNK):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


@dataclass(frozen=True)
class Written:
    reward_ids: dict[Grant, int]  # every grant decided or revoked, by its id
    last_seq: int | None  # when the events were numbered in the transaction (SQLite)


def write(shop_id: int, decisions: Sequence[Decision], now: datetime, dialect: str) -> Work[Written]:
    """Write every decision, in a fixed number of statements."""
    yield from _progress(shop_id, decisions, now)
    ids = yield from _grants(shop_id, decisions, now)
    yield from _choices(decisions, ids, now)
    yield from _revocations(decisions, ids, now)
    yield from _ledger(shop_id, decisions, ids, now)
    last_seq = yield from events.append(
        shop_id,
        [
            events.EventRow.of(event, decision.customer_external_id, ids[event.grant])
            for decision in decisions
            for event in decision.events
        ],
        now,
        sequenced=dialect == "sqlite",
    )
    greatest, least = ("max", "min") if dialect == "sqlite" else ("GREATEST", "LEAST")
    updates: dict[int, CustomerUpdate] = {}
    for d in decisions:
        updates[d.customer_id] = updates[d.customer_id].then(d.customer) if d.customer_id in updates else d.customer
    yield from customers.update(list(updates.items()), greatest, least)
    return Written(ids, last_seq)


def _progress(shop_id: int, decisions: Sequence[Decision], now: datetime) -> Work[None]:
    latest = {(rule_id, d.customer_id): p for d in decisions for rule_id, p in d.progress.items()}
    rows = [
        (shop_id, rule_id, customer_id, p.value, p.step, p.as_of, now)
        for (rule_id, customer_id), p in latest.items()
    ]
    if rows:
        yield ExecuteMany(
            "INSERT INTO rule_progress (shop_id, rule_id, customer_id, value, step, as_of, updated_at)"
            f" VALUES {value_rows(1, 7)} ON CONFLICT (rule_id, customer_id) DO UPDATE"
            " SET value = excluded.value, step = excluded.step, as_of = excluded.as_of,"
            " updated_at = excluded.updated_at",
            rows,
        )


def _grants(shop_id: int, decisions: Sequence[Decision], now: datetime) -> Work[dict[Grant, int]]:
    """Insert the new grants (those revoked in the same batch already REVOKED); returns every
    grant's id, stored or new."""
    ids: dict[Grant, int] = {}
    revoked_now = {g for d in decisions for g in d.revocations if g.id is None}
    new = [g for d in decisions for g in d.grants]
    for d in decisions:
        for g in [*d.revocations, *(c.grant for c in d.choices)]:
            if g.id is not None:
                ids[g] = g.id
    for chunk in _chunks(new, ROWS_PER_STATEMENT):
        rows = yield Fetch(
            f"INSERT INTO issued_rewards ({_REWARD_COLUMNS}) VALUES {value_rows(len(chunk), 15)}"
            " RETURNING id, customer_id, rule_id, milestone_id, grant_key",
            [
                v
                for g in chunk
                for v in (
                    shop_id, g.customer_id, g.rule_id, g.milestone.id, g.activity_id, str(g.key),
                    g.reward.kind.value, json.dumps(g.reward.to_json(), separators=(",", ":")),
                    (IssuedRewardStatus.REVOKED if g in revoked_now else g.status).value,
                    g.code, g.expires_at, g.issued_at, now if g in revoked_now else None,
                    _options(g), g.choice_expires_at,
                )
            ],
        )
        by_key = {
            (int(r["customer_id"]), int(r["rule_id"]), int(r["milestone_id"]), r["grant_key"]): int(r["id"])
            for r in rows
        }
        for g in chunk:
            ids[g] = by_key[(g.customer_id, g.rule_id, g.milestone.id, str(g.key))]
    return ids


def _options(grant: Grant) -> str | None:
    if not grant.options:
        return None
    return json.dumps([option.to_json() for option in grant.options], separators=(",", ":"))


def _choices(decisions: Sequence[Decision], ids: dict[Grant, int], now: datetime) -> Work[None]:
    """Made choices: each still PENDING_CHOICE becomes ISSUED with its chosen reward. That
    condition is the line of defence against two choices at once: the later one finds it
    taken, and its unit of work runs again on fresh reads (which refuse it)."""
    made = sorted((c for d in decisions for c in d.choices), key=lambda c: ids[c.grant])
    for chunk in _chunks(made):
        rows = yield Fetch(
            "UPDATE issued_rewards SET status = 'ISSUED', chosen_at = $1"
            f" WHERE id IN ({marks(len(chunk), 2)}) AND status = 'PENDING_CHOICE' RETURNING id",
            (now, *(ids[c.grant] for c in chunk)),
        )
        if len(rows) != len(chunk):
            raise Conflict("a choice was made or withdrawn meanwhile")
        yield ExecuteMany(
            "UPDATE issued_rewards SET kind = $1, reward = $2, code = $3, expires_at = $4, chosen_option = $5"
            " WHERE id = $6",
            [
                (c.grant.reward.kind.value, json.dumps(c.grant.reward.to_json(), separators=(",", ":")),
                 c.grant.code, c.grant.expires_at, c.option, ids[c.grant])
                for c in chunk
            ],
        )


def _revocations(decisions: Sequence[Decision], ids: dict[Grant, int], now: datetime) -> Work[None]:
    for status in (IssuedRewardStatus.ISSUED, IssuedRewardStatus.PENDING_CHOICE):
        # Each as the decision saw it: a reward that moved meanwhile is a conflict.
        stored = sorted({g.id for d in decisions for g in d.revocations if g.id is not None and g.status == status})
        for chunk in _chunks(stored):
            rows = yield Fetch(
                "UPDATE issued_rewards SET status = 'REVOKED', revoked_at = $1"
                f" WHERE id IN ({marks(len(chunk), 3)}) AND status = $2 RETURNING id",
                (now, status.value, *chunk),
            )
            if len(rows) != len(chunk):
                raise Conflict("a reward to revoke was redeemed, expired, chosen or revoked meanwhile")


def _ledger(shop_id: int, decisions: Sequence[Decision], ids: dict[Grant, int], now: datetime) -> Work[None]:
    rows = [
        (shop_id, d.customer_id, e.account.value, e.delta, e.reason.value, e.activity_id,
         ids[e.grant] if e.grant is not None else None, e.occurred_at, now)
        for d in decisions
        for e in d.ledger
    ]
    if rows:
        yield ExecuteMany(f"INSERT INTO ledger_entries ({_LEDGER_COLUMNS}) VALUES {value_rows(1, 9)}", rows)
