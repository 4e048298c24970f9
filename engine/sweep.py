"""The sweep: grants INACTIVITY milestones and expires code rewards past `expiresAt`.

Set-based and batched: customers are read a page at a time by id, so memory stays flat
whatever the shop's size. Safe to run twice at once: a grant's unique key (rule, milestone,
customer, inactivity episode) lets only one of them issue it, and expiry only moves rewards
that are still ISSUED.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from tortoise.transactions import in_transaction

from engine import clock, events, telemetry
from engine.enums import RewardEventType, RewardKind, RuleType
from engine.evaluation import POINTS_FEED, Evaluation
from engine.granting import Due, grant_page
from engine.reward_events import SELECT_WITH_CONTEXT, event_of
from engine.rulebook import RuleRef, active_rules
from models import sql

BATCH = 1000


@dataclass
class SweepResult:
    as_of: datetime
    granted: int = 0
    expired: int = 0
    customers_scanned: int = 0
    stopped: bool = False
    seconds: float = 0.0
    shops_notified: dict[int, int] = field(default_factory=dict)

    def summary(self) -> str:
        state = " (stopped early)" if self.stopped else ""
        return (
            f"sweep as of {self.as_of.isoformat()}: {self.granted} inactivity rewards granted,"
            f" {self.expired} rewards expired, {self.customers_scanned} customers scanned"
            f" in {self.seconds:.2f}s{state}"
        )


def episode_key(last_activity_at: datetime) -> str:
    """An inactivity episode is named by the activity that started it."""
    return "ep:" + clock.as_utc(last_activity_at).strftime("%Y%m%dT%H%M%S.%f")


async def run_sweep(
    as_of: datetime | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    shop_id: int | None = None,
) -> SweepResult:
    """Expire what is due and grant inactivity milestones as of `as_of` (default now), for
    one shop or all. `should_stop` is checked between batches."""
    started = time.perf_counter()
    result = SweepResult(as_of=clock.as_utc(as_of) if as_of else clock.now())
    try:
        await _expire(result, should_stop, shop_id)
        if not result.stopped:
            await _inactivity(result, should_stop, shop_id)
    except Exception:
        telemetry.sweep_finished(time.perf_counter() - started, result.granted, failed=True)
        raise
    for shop, seq in result.shops_notified.items():
        events.committed(shop, seq)
    result.seconds = time.perf_counter() - started
    telemetry.sweep_finished(result.seconds, result.granted)
    return result


async def _expire(result: SweepResult, should_stop, shop_id: int | None) -> None:
    last = 0
    shop_filter = " AND r.shop_id = $3" if shop_id is not None else ""
    while not (stopped := should_stop()):
        async with in_transaction() as conn:
            rows = await sql.fetch(
                conn,
                SELECT_WITH_CONTEXT + " WHERE r.status = 'ISSUED' AND r.expires_at IS NOT NULL AND r.expires_at <= $1"
                f" AND r.id > $2{shop_filter} ORDER BY r.id LIMIT {BATCH}",
                result.as_of,
                last,
                *([shop_id] if shop_id is not None else []),
            )
            for row in sorted(rows, key=lambda r: (r["shop_id"], r["id"])):
                changed = await sql.execute(
                    conn,
                    "UPDATE issued_rewards SET status = 'EXPIRED', expired_at = $1"
                    " WHERE id = $2 AND status = 'ISSUED'",
                    result.as_of,
                    int(row["id"]),
                )
                if changed:
                    result.expired += 1
                    await _expired_event(conn, row, result)
        if len(rows) < BATCH:
            return
        last = int(rows[-1]["id"])
    result.stopped = stopped


async def _expired_event(conn, row, result: SweepResult) -> None:
    evaluation = Evaluation(
        conn, int(row["shop_id"]), int(row["customer_id"]), row["external_id"], result.as_of, clock.now()
    )
    evaluation.add_event(event_of(row, RewardEventType.REWARD_EXPIRED, "EXPIRED"))
    await evaluation.append_events()
    result.shops_notified[evaluation.shop_id] = evaluation.last_seq


async def _inactivity(result: SweepResult, should_stop, shop_id: int | None) -> None:
    async with in_transaction() as conn:
        shops = [shop_id] if shop_id is not None else [
            int(r["shop_id"])
            for r in await sql.fetch(
                conn,
                "SELECT DISTINCT shop_id FROM milestone_rules WHERE status = 'ACTIVE' AND type = $1",
                RuleType.INACTIVITY.value,
            )
        ]
        work = []
        for shop in shops:
            feeds = await active_rules(conn, shop, POINTS_FEED)
            feeds_points = any(r.in_window(result.as_of) for r in feeds)
            for rule in await active_rules(conn, shop, frozenset({RuleType.INACTIVITY})):
                if rule.in_window(result.as_of):
                    milestones = await sql.fetch(
                        conn,
                        "SELECT id, position, threshold, step_metric, reward FROM milestones"
                        " WHERE rule_id = $1 AND retired_at IS NULL ORDER BY threshold",
                        rule.id,
                    )
                    if milestones:
                        # Points granted here would move POINTS_EARNED and MIXED rules, which
                        # only an evaluation per customer does.
                        one_by_one = feeds_points and any(
                            sql.from_json(m["reward"])["kind"] == RewardKind.POINTS.value for m in milestones
                        )
                        work.append((shop, rule, milestones, one_by_one))
    for shop, rule, milestones, one_by_one in work:
        if should_stop():
            result.stopped = True
            return
        await _sweep_rule(result, should_stop, shop, rule, milestones, one_by_one)


async def _sweep_rule(
    result: SweepResult, should_stop, shop_id: int, rule: RuleRef, milestones, one_by_one: bool
) -> None:
    """Customers idle for at least the smallest threshold, a page at a time."""
    cutoff = clock.shifted(result.as_of, -int(milestones[0]["threshold"]))
    last = 0
    while True:
        if should_stop():
            result.stopped = True
            return
        async with in_transaction() as conn:
            customers = await sql.fetch(
                conn,
                "SELECT id, external_id, last_activity_at FROM customers WHERE shop_id = $1"
                f" AND last_activity_at <= $2 AND id > $3 ORDER BY id LIMIT {BATCH}",
                shop_id,
                cutoff,
                last,
            )
            result.customers_scanned += len(customers)
            await _grant_batch(conn, result, shop_id, rule, milestones, customers, one_by_one)
        if len(customers) < BATCH:
            return
        last = int(customers[-1]["id"])


async def _grant_batch(
    conn, result: SweepResult, shop_id: int, rule: RuleRef, milestones, customers, one_by_one: bool
) -> None:
    if not customers:
        return
    ids = [int(c["id"]) for c in customers]
    marks = ", ".join(f"${i + 2}" for i in range(len(ids)))
    held = {
        (int(r["customer_id"]), int(r["milestone_id"]), r["grant_key"])
        for r in await sql.fetch(
            conn,
            "SELECT customer_id, milestone_id, grant_key FROM issued_rewards"
            f" WHERE rule_id = $1 AND customer_id IN ({marks})",
            rule.id,
            *ids,
        )
    }
    evaluations, page = [], []
    for customer in customers:
        customer_id = int(customer["id"])
        last_activity = sql.to_datetime(customer["last_activity_at"])
        days = int((result.as_of - last_activity).total_seconds() // 86400)
        key = episode_key(last_activity)
        due = [
            m for m in milestones
            if int(m["threshold"]) <= days and (customer_id, int(m["id"]), key) not in held
        ]
        if not due:
            continue
        if not one_by_one:
            page += [Due(customer_id, customer["external_id"], m, key) for m in due]
            continue
        # The same lock every activity takes first; the shop's event lock comes after all.
        await sql.execute(conn, "UPDATE customers SET id = id WHERE id = $1", customer_id)
        evaluation = Evaluation(conn, shop_id, customer_id, customer["external_id"], result.as_of, clock.now())
        for milestone in due:
            if await evaluation.grant(rule, milestone, key) is not None:
                result.granted += 1
        await evaluation.flush()
        evaluations.append(evaluation)
    if page:
        granted, last_seq = await grant_page(conn, shop_id, rule, page, result.as_of, clock.now())
        result.granted += granted
        if last_seq is not None:
            result.shops_notified[shop_id] = last_seq
    for evaluation in evaluations:
        await evaluation.append_events()
        if evaluation.last_seq is not None:
            result.shops_notified[shop_id] = evaluation.last_seq
