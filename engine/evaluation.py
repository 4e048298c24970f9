"""One customer's evaluation inside one transaction: progress moves, milestones are granted
or revoked, rewards are issued, balances and events follow.

The caller holds the customer's row lock (every activity transaction starts by upserting the
customer), so everything here is serialized per customer on PostgreSQL and by SQLite's single
writer; the unique grant key of `issued_rewards` is what makes each grant happen once even so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from engine import events, ladders, telemetry
from engine.enums import (
    IssuedRewardStatus,
    LedgerAccount,
    MixedStepMetric,
    RefundPolicy,
    RewardEventType,
    RewardKind,
    RuleType,
)
from engine.issuing import new_reward
from engine.ladders import Ladder
from engine.reward_events import PendingEvent, event_payload
from engine.rulebook import RuleRef, active_rules
from models import sql

ONCE = "once"
POINTS_FEED = frozenset({RuleType.POINTS_EARNED, RuleType.MIXED})


@dataclass
class Progress:
    """A customer's stored progress on one rule, as this evaluation has moved it."""

    value: int
    step: int
    changed: bool = False


@dataclass
class Evaluation:
    conn: BaseDBAsyncClient
    shop_id: int
    customer_id: int
    customer_external_id: str
    at: datetime  # when the activity happened: windows are checked against it
    now: datetime
    activity_id: int | None = None
    points_delta: int = 0
    credit_delta: int = 0
    issued: list[int] = field(default_factory=list)
    issued_kinds: list[str] = field(default_factory=list)
    last_seq: int | None = None
    _pending: list[PendingEvent] = field(default_factory=list)
    # The shop's active POINTS_EARNED and MIXED rules, once read (the caller may know them).
    points_rules: list[RuleRef] | None = None
    # Progress is read once (one statement for all the rules an activity feeds), moved in
    # memory and written once by `flush`: the customer's row lock, taken first by every
    # transaction that changes this customer, keeps it exact.
    _progress: dict[int, Progress] = field(default_factory=dict)
    _ledger: list[tuple[Any, ...]] = field(default_factory=list)

    # --- progress -------------------------------------------------------------------------

    async def load_progress(self, rules: list[RuleRef]) -> None:
        """Read the customer's progress on `rules` in one statement, creating it at zero where
        there is none yet."""
        missing = list({rule.id: rule for rule in rules if rule.id not in self._progress})
        if not missing:
            return
        params = [v for rule_id in missing for v in (self.shop_id, rule_id, self.customer_id, self.now)]
        marks = ", ".join(f"(${4 * n + 1}, ${4 * n + 2}, ${4 * n + 3}, 0, 0, ${4 * n + 4})" for n in range(len(missing)))
        rows = await sql.fetch(
            self.conn,
            "INSERT INTO rule_progress (shop_id, rule_id, customer_id, value, step, updated_at)"
            f" VALUES {marks} ON CONFLICT (rule_id, customer_id) DO UPDATE"
            " SET updated_at = rule_progress.updated_at RETURNING rule_id, value, step",
            *params,
        )
        for row in rows:
            self._progress[int(row["rule_id"])] = Progress(int(row["value"]), int(row["step"]))

    async def _progress_of(self, rule: RuleRef) -> Progress:
        if rule.id not in self._progress:
            await self.load_progress([rule])
        return self._progress[rule.id]

    async def ladder(self, rule: RuleRef) -> Ladder:
        return await ladders.ladder(self.conn, rule.id, rule.version)

    async def advance(self, rule: RuleRef, delta: int) -> int:
        """Add `delta` to a non-MIXED rule's progress; grant what is newly met, or revoke what
        is no longer met under REVOKE_UNREDEEMED. Returns the new value."""
        progress = await self._progress_of(rule)
        old = progress.value
        new = progress.value = old + delta
        progress.changed = True
        if delta > 0:
            await self.grant_between(rule, old, new)
        elif delta < 0 and rule.refund_policy == RefundPolicy.REVOKE_UNREDEEMED:
            await self.revoke_above(rule, new)
        return new

    async def set_value(self, rule: RuleRef, value: int) -> None:
        """Set a rule's progress to a value computed elsewhere (subscription rules)."""
        progress = await self._progress_of(rule)
        progress.value, progress.changed = value, True

    async def advance_mixed(self, rule: RuleRef, metric: MixedStepMetric, amount: int) -> None:
        """Count `amount` toward the current step if it measures `metric`. A completed step
        grants its reward and the next step starts from zero: the surplus does not carry."""
        if amount <= 0:
            return
        progress = await self._progress_of(rule)
        current = (await self.ladder(rule)).step(progress.step)
        if current is None or current["step_metric"] != metric.value:
            return
        step, value = progress.step, progress.value + amount
        if value >= current["threshold"]:
            await self.grant(rule, current, ONCE)
            step, value = step + 1, 0
        progress.value, progress.step, progress.changed = value, step, True

    async def flush_progress(self) -> None:
        """Write the progress this evaluation moved, in one statement."""
        changed = [(rule_id, p) for rule_id, p in self._progress.items() if p.changed]
        if not changed:
            return
        params = [
            v for rule_id, p in changed for v in (self.shop_id, rule_id, self.customer_id, p.value, p.step, self.now)
        ]
        await sql.execute(
            self.conn,
            "INSERT INTO rule_progress (shop_id, rule_id, customer_id, value, step, updated_at)"
            f" VALUES {sql.value_rows(len(changed), 6)} ON CONFLICT (rule_id, customer_id) DO UPDATE"
            " SET value = excluded.value, step = excluded.step, updated_at = excluded.updated_at",
            *params,
        )
        for _, progress in changed:
            progress.changed = False

    async def feed_points(self, points: int, source: RuleRef | None) -> None:
        """Points credited now count toward POINTS_EARNED rules and MIXED points steps, except
        points rewarded by a POINTS_EARNED rule, and never toward the rule that rewarded them."""
        if points <= 0 or (source is not None and source.type == RuleType.POINTS_EARNED):
            return
        if self.points_rules is None:
            self.points_rules = await active_rules(self.conn, self.shop_id, POINTS_FEED)
        fed = [
            rule for rule in self.points_rules
            if rule.in_window(self.at) and (source is None or rule.id != source.id)
        ]
        await self.load_progress(fed)
        for rule in fed:
            if rule.type == RuleType.POINTS_EARNED:
                await self.advance(rule, points)
            else:
                await self.advance_mixed(rule, MixedStepMetric.POINTS_EARNED, points)

    # --- grants ---------------------------------------------------------------------------

    async def grant_between(self, rule: RuleRef, low: int, high: int) -> None:
        """Grant, in ascending order, every milestone with low < threshold <= high."""
        for milestone in (await self.ladder(rule)).between(low, high):
            await self.grant(rule, milestone, await self.grant_key(rule, int(milestone["id"])))

    async def grant_key(self, rule: RuleRef, milestone_id: int) -> str:
        """KEEP grants a milestone once ever; REVOKE_UNREDEEMED once per revocation."""
        if rule.refund_policy != RefundPolicy.REVOKE_UNREDEEMED:
            return ONCE
        row = await sql.fetch_one(
            self.conn,
            "SELECT count(*) AS n FROM issued_rewards WHERE rule_id = $1 AND milestone_id = $2"
            " AND customer_id = $3 AND status = 'REVOKED'",
            rule.id,
            milestone_id,
            self.customer_id,
        )
        return f"g{int(row['n'])}"

    async def grant(self, rule: RuleRef, milestone: dict[str, Any], key: str) -> int | None:
        """Issue the milestone's reward unless (rule, milestone, customer, key) was granted;
        returns the issued reward's id, or None when it already was."""
        reward = new_reward(rule, milestone, self.now)
        definition, kind, code, expires_at = reward.definition, reward.kind, reward.code, reward.expires_at
        row = await sql.fetch_one(
            self.conn,
            "INSERT INTO issued_rewards (shop_id, customer_id, rule_id, milestone_id, activity_id,"
            " grant_key, kind, reward, status, code, expires_at, issued_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
            " ON CONFLICT (rule_id, milestone_id, customer_id, grant_key) DO NOTHING RETURNING id",
            self.shop_id,
            self.customer_id,
            rule.id,
            int(milestone["id"]),
            self.activity_id,
            key,
            kind.value,
            json.dumps(definition, separators=(",", ":")),
            IssuedRewardStatus.ISSUED.value,
            code,
            expires_at,
            self.now,
        )
        if row is None:
            return None
        reward_id = int(row["id"])
        self.issued.append(reward_id)
        self.issued_kinds.append(kind.value)
        if kind == RewardKind.POINTS:
            await self.ledger(LedgerAccount.POINTS, definition["points"], "REWARD", reward_id)
        elif kind == RewardKind.STORE_CREDIT:
            await self.ledger(LedgerAccount.STORE_CREDIT, definition["amount"], "REWARD", reward_id)
        self._pending.append(
            PendingEvent(
                RewardEventType.REWARD_ISSUED, rule, milestone, reward_id, kind.value, definition,
                IssuedRewardStatus.ISSUED.value, code, expires_at, self.now,
            )
        )
        if kind == RewardKind.POINTS:
            await self.feed_points(definition["points"], rule)
        return reward_id

    async def revoke_above(self, rule: RuleRef, value: int) -> None:
        """Revoke the live grants of milestones above `value`: codes not yet redeemed are
        revoked; points and credit are debited, even into a negative balance."""
        rows = await sql.fetch(
            self.conn,
            "SELECT r.id, r.kind, r.reward, r.code, r.expires_at, r.issued_at, m.id AS milestone_id,"
            " m.position, m.threshold, m.step_metric FROM issued_rewards r JOIN milestones m ON m.id = r.milestone_id"
            " WHERE r.rule_id = $1 AND r.customer_id = $2 AND r.status = 'ISSUED'"
            " AND m.threshold > $3 ORDER BY m.threshold DESC, r.id DESC",
            rule.id,
            self.customer_id,
            value,
        )
        for row in rows:
            await self.revoke(rule, row)

    async def revoke(self, rule: RuleRef, row: dict[str, Any]) -> None:
        changed = await sql.execute(
            self.conn,
            "UPDATE issued_rewards SET status = 'REVOKED', revoked_at = $1"
            " WHERE id = $2 AND status = 'ISSUED'",
            self.now,
            int(row["id"]),
        )
        if not changed:
            return
        definition = sql.from_json(row["reward"])
        kind = RewardKind(row["kind"])
        if kind == RewardKind.POINTS:
            await self.ledger(LedgerAccount.POINTS, -definition["points"], "REVOKE", int(row["id"]))
        elif kind == RewardKind.STORE_CREDIT:
            await self.ledger(LedgerAccount.STORE_CREDIT, -definition["amount"], "REVOKE", int(row["id"]))
        milestone = {
            "id": row["milestone_id"],
            "position": row["position"],
            "threshold": row["threshold"],
            "step_metric": row["step_metric"],
        }
        self._pending.append(
            PendingEvent(
                RewardEventType.REWARD_REVOKED, rule, milestone, int(row["id"]), kind.value,
                definition, IssuedRewardStatus.REVOKED.value, row["code"],
                sql.to_datetime(row["expires_at"]), sql.to_datetime(row["issued_at"]),
            )
        )

    # --- ledgers, events, balances -----------------------------------------------------------

    async def ledger(
        self, account: LedgerAccount, delta: int, reason: str, issued_reward_id: int | None = None
    ) -> None:
        """Add a ledger entry; entries are written together by `flush`."""
        self._ledger.append(
            (self.shop_id, self.customer_id, account.value, delta, reason, self.activity_id,
             issued_reward_id, self.at, self.now)
        )
        if account == LedgerAccount.POINTS:
            self.points_delta += delta
        else:
            self.credit_delta += delta

    def add_event(self, event: PendingEvent) -> None:
        self._pending.append(event)

    async def append_events(self) -> None:
        """Write the collected events last, so the shop's sequence lock is held briefly."""
        items = [
            (event.type, self.customer_id, event.rule.id, int(event.milestone["id"]), event.reward_id,
             event_payload(self.customer_id, self.customer_external_id, event))
            for event in self._pending
        ]
        self._pending.clear()
        last = await events.append_many(self.conn, shop_id=self.shop_id, items=items, at=self.now)
        if last is not None:
            self.last_seq = last

    def committed(self) -> None:
        """Call once the transaction has committed: reports the rewards issued and wakes this
        process's event followers."""
        for kind in self.issued_kinds:
            telemetry.reward_issued(kind)
        if self.last_seq is not None:
            events.committed(self.shop_id, self.last_seq)

    async def finish(self, customer_sets: dict[str, Any] | None = None) -> None:
        """Write progress, then balance changes (and the caller's customer updates) in one
        statement, then append the events."""
        await self.flush(customer_sets)
        await self.append_events()

    async def flush(self, customer_sets: dict[str, Any] | None = None) -> None:
        """Write progress, ledger entries and the customer's row; events wait for
        `append_events`."""
        await self.flush_progress()
        if self._ledger:
            await sql.execute(
                self.conn,
                "INSERT INTO ledger_entries (shop_id, customer_id, account, delta, reason, activity_id,"
                f" issued_reward_id, occurred_at, created_at) VALUES {sql.value_rows(len(self._ledger), 9)}",
                *[value for entry in self._ledger for value in entry],
            )
            self._ledger.clear()
        sets = dict(customer_sets or {})
        if self.points_delta:
            sets["points_balance"] = ("+", self.points_delta)
        if self.credit_delta:
            sets["store_credit_balance"] = ("+", self.credit_delta)
        self.points_delta = self.credit_delta = 0
        await update_customer(self.conn, self.customer_id, sets)


async def update_customer(conn: BaseDBAsyncClient, customer_id: int, sets: dict[str, Any]) -> None:
    """`sets` maps a column to ("+", n) to add, ("max", t) to keep the later time, ("=", v)."""
    if not sets:
        return
    clauses, params = [], []
    for column, (op, value) in sets.items():
        params.append(value)
        mark = f"${len(params)}"
        if op == "+":
            clauses.append(f"{column} = {column} + {mark}")
        elif op == "max":
            clauses.append(f"{column} = {sql.greatest(conn)}({column}, {mark})")
        else:
            clauses.append(f"{column} = {mark}")
    params.append(customer_id)
    await sql.execute(
        conn, f"UPDATE customers SET {', '.join(clauses)} WHERE id = ${len(params)}", *params
    )
