"""Progress recomputed from what was recorded: `countPastActivity` at activation, the catch-up
after an active rule's milestones change, and the reference the tests compare stored progress
with. Everything here is set-based per rule; grants go through the same Evaluation as live
activity, one customer at a time, under that customer's lock."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from engine import clock
from engine.enums import ActivityKind, MixedStepMetric, RuleType
from engine.evaluation import Evaluation
from engine.rulebook import RuleRef, rule_ref
from models import MilestoneRule, sql

BATCH = 500


@dataclass
class Recomputed:
    value: int
    step: int = 0
    reached: int = 0  # the highest value ever reached (subscription rules grant on it)


def _window(rule: RuleRef, column: str, first_param: int) -> tuple[str, list]:
    clauses, params = [], []
    if rule.starts_at is not None:
        params.append(rule.starts_at)
        clauses.append(f" AND {column} >= ${first_param + len(params) - 1}")
    if rule.ends_at is not None:
        params.append(rule.ends_at)
        clauses.append(f" AND {column} < ${first_param + len(params) - 1}")
    return "".join(clauses), params


async def recompute(conn: BaseDBAsyncClient, shop_id: int, rule: RuleRef) -> dict[int, Recomputed]:
    """Each customer's progress on `rule` as the recorded activity in its window gives it."""
    if rule.type in (RuleType.ORDERS_COUNT, RuleType.AMOUNT_SPENT):
        measure = "count(*)" if rule.type == RuleType.ORDERS_COUNT else "sum(total - refunded)"
        where, params = _window(rule, "occurred_at", 2)
        rows = await sql.fetch(
            conn,
            f"SELECT customer_id, {measure} AS v FROM orders WHERE shop_id = $1"
            " AND (total = 0 OR refunded < total)" + where + " GROUP BY customer_id",
            shop_id,
            *params,
        )
        return {int(r["customer_id"]): Recomputed(int(r["v"] or 0)) for r in rows}
    if rule.type == RuleType.REVIEWS_COUNT:
        where, params = _window(rule, "occurred_at", 3)
        rows = await sql.fetch(
            conn,
            "SELECT customer_id, count(*) AS v FROM activities WHERE shop_id = $1 AND kind = $2"
            + where + " GROUP BY customer_id",
            shop_id,
            ActivityKind.REVIEW_POSTED.value,
            *params,
        )
        return {int(r["customer_id"]): Recomputed(int(r["v"])) for r in rows}
    if rule.type == RuleType.POINTS_EARNED:
        where, params = _window(rule, "l.occurred_at", 3)
        rows = await sql.fetch(
            conn,
            "SELECT l.customer_id, sum(l.delta) AS v FROM ledger_entries l"
            " LEFT JOIN issued_rewards r ON r.id = l.issued_reward_id"
            " LEFT JOIN milestone_rules s ON s.id = r.rule_id"
            " WHERE l.shop_id = $1 AND l.account = 'POINTS' AND l.delta > 0"
            " AND (l.reason = 'ACTIVITY' OR (l.reason = 'REWARD' AND s.type <> 'POINTS_EARNED'"
            " AND s.id <> $2))" + where + " GROUP BY l.customer_id",
            shop_id,
            rule.id,
            *params,
        )
        return {int(r["customer_id"]): Recomputed(int(r["v"] or 0)) for r in rows}
    if rule.type == RuleType.SUBSCRIPTION_CYCLES:
        return await _replay_contracts(conn, shop_id, rule)
    if rule.type == RuleType.MIXED:
        return await _replay_mixed(conn, shop_id, rule)
    return {}


async def _activities(conn: BaseDBAsyncClient, shop_id: int, kinds: list[str]):
    """The shop's activities of these kinds in recording order, a batch at a time."""
    marks = ", ".join(f"${i + 3}" for i in range(len(kinds)))
    last = 0
    while True:
        rows = await sql.fetch(
            conn,
            "SELECT id, customer_id, kind, payload, occurred_at FROM activities"
            f" WHERE shop_id = $1 AND id > $2 AND kind IN ({marks}) ORDER BY id LIMIT {BATCH}",
            shop_id,
            last,
            *kinds,
        )
        for row in rows:
            yield row
        if len(rows) < BATCH:
            return
        last = int(rows[-1]["id"])


def _payload(row) -> dict:
    return sql.from_json(row["payload"])


async def _replay_contracts(conn, shop_id: int, rule: RuleRef) -> dict[int, Recomputed]:
    cycles: dict[str, int] = defaultdict(int)
    owner: dict[str, int] = {}
    best_ever: dict[int, int] = defaultdict(int)
    kinds = [ActivityKind.SUBSCRIPTION_BILLED.value, ActivityKind.SUBSCRIPTION_CANCELLED.value]
    async for row in _activities(conn, shop_id, kinds):
        contract = _payload(row)["contractId"]
        customer = int(row["customer_id"])
        owner[contract] = customer
        if row["kind"] == ActivityKind.SUBSCRIPTION_CANCELLED.value:
            cycles[contract] = 0
        elif rule.in_window(sql.to_datetime(row["occurred_at"])):
            cycles[contract] += 1
            best_ever[customer] = max(best_ever[customer], cycles[contract])
    result: dict[int, Recomputed] = {}
    for contract, customer in owner.items():
        current = result.setdefault(customer, Recomputed(0, reached=best_ever[customer]))
        current.value = max(current.value, cycles[contract])
    return result


METRIC_OF = {
    ActivityKind.REVIEW_POSTED.value: MixedStepMetric.REVIEWS,
    ActivityKind.REFERRAL_COMPLETED.value: MixedStepMetric.REFERRALS,
    ActivityKind.SUBSCRIPTION_BILLED.value: MixedStepMetric.SUBSCRIPTION_CYCLES,
}


async def _replay_mixed(conn, shop_id: int, rule: RuleRef) -> dict[int, Recomputed]:
    steps = await sql.fetch(
        conn,
        "SELECT threshold, step_metric FROM milestones WHERE rule_id = $1 AND retired_at IS NULL"
        " ORDER BY position",
        rule.id,
    )
    state: dict[int, Recomputed] = {}
    kinds = [
        ActivityKind.ORDER_PLACED.value,
        ActivityKind.REVIEW_POSTED.value,
        ActivityKind.REFERRAL_COMPLETED.value,
        ActivityKind.SUBSCRIPTION_BILLED.value,
        ActivityKind.POINTS_EARNED.value,
    ]
    async for row in _activities(conn, shop_id, kinds):
        if not rule.in_window(sql.to_datetime(row["occurred_at"])):
            continue
        current = state.setdefault(int(row["customer_id"]), Recomputed(0))
        payload = _payload(row)
        if row["kind"] == ActivityKind.ORDER_PLACED.value:
            amounts = [(MixedStepMetric.ORDERS, 1), (MixedStepMetric.AMOUNT_SPENT, payload["total"])]
        elif row["kind"] == ActivityKind.POINTS_EARNED.value:
            amounts = [(MixedStepMetric.POINTS_EARNED, payload["points"])]
        else:
            amounts = [(METRIC_OF[row["kind"]], 1)]
        for metric, amount in amounts:
            if current.step >= len(steps) or amount <= 0:
                break
            step = steps[current.step]
            if step["step_metric"] != metric.value:
                continue
            current.value += amount
            if current.value >= int(step["threshold"]):
                current.step, current.value = current.step + 1, 0
    return state


async def count_past_activity(rule: MilestoneRule) -> None:
    """Replace the rule's progress with what the recorded activity in its window gives, mark
    the counted orders (so later refunds take them back out), and grant what is reached."""
    async with in_transaction() as conn:
        ref = await rule_ref(conn, rule.id)
        computed = await recompute(conn, rule.shop_id, ref)
        now = clock.now()
        await sql.execute(conn, "DELETE FROM rule_progress WHERE rule_id = $1", rule.id)
        for customer_id, value in computed.items():
            await sql.execute(
                conn,
                "INSERT INTO rule_progress (shop_id, rule_id, customer_id, value, step, updated_at)"
                " VALUES ($1, $2, $3, $4, $5, $6)",
                rule.shop_id, rule.id, customer_id, value.value, value.step, now,
            )
        if ref.type in (RuleType.ORDERS_COUNT, RuleType.AMOUNT_SPENT):
            await _mark_counted_orders(conn, rule.shop_id, ref)
        if ref.type == RuleType.SUBSCRIPTION_CYCLES:
            await _store_contract_progress(conn, rule.shop_id, ref)
    await grant_reached(rule.id, {c: v for c, v in computed.items()})


async def _mark_counted_orders(conn, shop_id: int, rule: RuleRef) -> None:
    where, params = _window(rule, "occurred_at", 2)
    last = 0
    while True:
        rows = await sql.fetch(
            conn,
            f"SELECT id, counted_rule_ids FROM orders WHERE shop_id = $1{where}"
            f" AND id > ${len(params) + 2} ORDER BY id LIMIT {BATCH}",
            shop_id,
            *params,
            last,
        )
        for row in rows:
            counted = sql.from_json(row["counted_rule_ids"]) or []
            if rule.id not in counted:
                await sql.execute(
                    conn,
                    "UPDATE orders SET counted_rule_ids = $1 WHERE id = $2",
                    json.dumps([*counted, rule.id]),
                    int(row["id"]),
                )
        if len(rows) < BATCH:
            return
        last = int(rows[-1]["id"])


async def _store_contract_progress(conn, shop_id: int, rule: RuleRef) -> None:
    await sql.execute(conn, "DELETE FROM contract_progress WHERE rule_id = $1", rule.id)
    cycles: dict[tuple[str, int], int] = defaultdict(int)
    kinds = [ActivityKind.SUBSCRIPTION_BILLED.value, ActivityKind.SUBSCRIPTION_CANCELLED.value]
    async for row in _activities(conn, shop_id, kinds):
        key = (_payload(row)["contractId"], int(row["customer_id"]))
        if row["kind"] == ActivityKind.SUBSCRIPTION_CANCELLED.value:
            cycles[key] = 0
        elif rule.in_window(sql.to_datetime(row["occurred_at"])):
            cycles[key] += 1
    for (contract, customer_id), value in cycles.items():
        await sql.execute(
            conn,
            "INSERT INTO contract_progress (rule_id, contract_id, customer_id, cycles)"
            " SELECT $1, id, $2, $3 FROM subscription_contracts WHERE shop_id = $4 AND external_id = $5",
            rule.id, customer_id, value, shop_id, contract,
        )


async def grant_reached(rule_id: int, values: dict[int, Recomputed] | None = None) -> None:
    """Grant every milestone the stored progress meets and that has no grant yet, for each
    customer of the rule, in ascending order; one transaction per customer."""
    async with in_transaction() as conn:
        ref = await rule_ref(conn, rule_id)
        shop_id = int((await sql.fetch_one(conn, "SELECT shop_id FROM milestone_rules WHERE id = $1", rule_id))["shop_id"])
    if ref.type in (RuleType.MIXED, RuleType.INACTIVITY):
        if ref.type == RuleType.MIXED and values:
            await _grant_mixed_steps(shop_id, ref, values)
        return
    last = 0
    while True:
        async with in_transaction() as conn:
            rows = await sql.fetch(
                conn,
                "SELECT p.customer_id, p.value, c.external_id FROM rule_progress p"
                " JOIN customers c ON c.id = p.customer_id"
                f" WHERE p.rule_id = $1 AND p.customer_id > $2 ORDER BY p.customer_id LIMIT {BATCH}",
                rule_id,
                last,
            )
        for row in rows:
            customer_id = int(row["customer_id"])
            reached = int(row["value"])
            if values and customer_id in values:
                reached = max(reached, values[customer_id].reached)
            await _grant_upto(shop_id, ref, customer_id, row["external_id"], reached)
        if len(rows) < BATCH:
            return
        last = int(rows[-1]["customer_id"])


async def _grant_upto(shop_id: int, ref: RuleRef, customer_id: int, external_id: str, value: int) -> None:
    async with in_transaction() as conn:
        await lock_customer(conn, customer_id)
        evaluation = Evaluation(conn, shop_id, customer_id, external_id, clock.now(), clock.now())
        await evaluation.grant_between(ref, 0, value)
        await evaluation.finish()
    evaluation.committed()


async def _grant_mixed_steps(shop_id: int, ref: RuleRef, values: dict[int, Recomputed]) -> None:
    for customer_id, value in values.items():
        if value.step == 0:
            continue
        async with in_transaction() as conn:
            await lock_customer(conn, customer_id)
            row = await sql.fetch_one(conn, "SELECT external_id FROM customers WHERE id = $1", customer_id)
            evaluation = Evaluation(conn, shop_id, customer_id, row["external_id"], clock.now(), clock.now())
            steps = await sql.fetch(
                conn,
                "SELECT id, position, threshold, step_metric, reward FROM milestones WHERE rule_id = $1"
                f" AND retired_at IS NULL ORDER BY position LIMIT {int(value.step)}",
                ref.id,
            )
            for step in steps:
                await evaluation.grant(ref, step, "once")
            await evaluation.finish()
        evaluation.committed()


async def lock_customer(conn: BaseDBAsyncClient, customer_id: int) -> None:
    """Take the customer's row lock, as every activity transaction does first."""
    await sql.execute(conn, "UPDATE customers SET id = id WHERE id = $1", customer_id)
