"""Recording an activity: the engine's main transaction (DESIGN §5).

One transaction per activity: upsert (and lock) the customer, store the activity under its
idempotency key, apply what the kind means (orders, refunds, contracts, points), move every
active rule it feeds, grant and issue, update the customer, append the events. Subscribers
are told after commit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from engine import clock, telemetry
from engine.activities import ID_FIELD, Activity, ActivityInput, validate
from engine.enums import ActivityKind, LedgerAccount, MixedStepMetric, RuleStatus, RuleType
from engine.errors import DomainError
from engine.evaluation import POINTS_FEED, Evaluation
from engine.money import from_minor
from engine.rulebook import RuleRef, active_rules, rules_by_id
from models import Activity as ActivityRow
from models import Shop, sql

# Which rule types each kind of activity can move.
FEEDS: dict[ActivityKind, frozenset[RuleType]] = {
    ActivityKind.ORDER_PLACED: frozenset({RuleType.ORDERS_COUNT, RuleType.AMOUNT_SPENT, RuleType.MIXED}),
    ActivityKind.REVIEW_POSTED: frozenset({RuleType.REVIEWS_COUNT, RuleType.MIXED}),
    ActivityKind.REFERRAL_COMPLETED: frozenset({RuleType.MIXED}),
    ActivityKind.SUBSCRIPTION_BILLED: frozenset({RuleType.SUBSCRIPTION_CYCLES, RuleType.MIXED}),
    ActivityKind.POINTS_EARNED: frozenset({RuleType.POINTS_EARNED, RuleType.MIXED}),
}
# Rules whose progress a refund or a cancellation may still change.
LIVE = (RuleStatus.ACTIVE, RuleStatus.PAUSED)


@dataclass
class RecordResult:
    activity_id: int
    customer_id: int
    duplicate: bool
    issued_reward_ids: list[int] = field(default_factory=list)
    # The row as stored, for callers that show it; None for a duplicate (read the first one).
    stored: ActivityRow | None = None


async def record_activity(shop: Shop, data: ActivityInput) -> RecordResult:
    """Record one activity exactly once and evaluate it; raises DomainError and changes
    nothing when the input or the state rejects it.

    Sending the same (kind, id) again returns the first result with `duplicate=True`; the
    same id with a different payload is IDEMPOTENCY_CONFLICT.
    """
    activity = validate(data, shop.currency)
    async with in_transaction() as conn:
        result, evaluation = await evaluate(conn, shop, activity)
    telemetry.activity_recorded(activity.kind.value, duplicate=result.duplicate)
    if evaluation is not None:
        evaluation.committed()
    return result


async def evaluate(
    conn: BaseDBAsyncClient, shop: Shop, activity: Activity
) -> tuple[RecordResult, Evaluation | None]:
    """Record and evaluate a validated activity inside the caller's transaction; the
    evaluation is None for a duplicate. Call `evaluation.committed()` after the commit."""
    now = clock.now()
    customer = await sql.fetch_one(
        conn,
        "INSERT INTO customers (shop_id, external_id, email, first_seen_at, last_activity_at,"
        " orders_count, total_spent, total_refunded, reviews_count, referrals_count,"
        " points_balance, store_credit_balance) VALUES ($1, $2, $3, $4, $4, 0, 0, 0, 0, 0, 0, 0)"
        " ON CONFLICT (shop_id, external_id) DO UPDATE SET external_id = customers.external_id"
        " RETURNING id",
        shop.id,
        activity.customer_external_id,
        activity.email,
        activity.occurred_at,
    )
    customer_id = int(customer["id"])
    stored = await sql.fetch_one(
        conn,
        "INSERT INTO activities (shop_id, customer_id, kind, external_id, payload, payload_hash,"
        " occurred_at, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        " ON CONFLICT (shop_id, kind, external_id) DO NOTHING RETURNING id",
        shop.id,
        customer_id,
        activity.kind.value,
        activity.external_id,
        json.dumps(activity.payload, separators=(",", ":")),
        activity.payload_hash,
        activity.occurred_at,
        now,
    )
    if stored is None:
        return await _duplicate(conn, shop, activity), None

    evaluation = Evaluation(
        conn=conn,
        shop_id=shop.id,
        customer_id=customer_id,
        customer_external_id=activity.customer_external_id,
        at=activity.occurred_at,
        now=now,
        activity_id=int(stored["id"]),
    )
    sets: dict = {"last_activity_at": ("max", activity.occurred_at)}
    if activity.email:
        sets["email"] = ("=", activity.email)
    await _apply(evaluation, shop, activity, sets)
    await evaluation.finish(sets)
    row = ActivityRow(
        id=evaluation.activity_id, shop_id=shop.id, customer_id=customer_id, kind=activity.kind.value,
        external_id=activity.external_id, payload=activity.payload, payload_hash=activity.payload_hash,
        occurred_at=activity.occurred_at, recorded_at=now,
    )
    return RecordResult(evaluation.activity_id, customer_id, False, evaluation.issued, row), evaluation


async def _duplicate(conn: BaseDBAsyncClient, shop: Shop, activity: Activity) -> RecordResult:
    first = await sql.fetch_one(
        conn,
        "SELECT id, customer_id, payload_hash FROM activities"
        " WHERE shop_id = $1 AND kind = $2 AND external_id = $3",
        shop.id,
        activity.kind.value,
        activity.external_id,
    )
    if first["payload_hash"] != activity.payload_hash:
        raise DomainError.one(
            "IDEMPOTENCY_CONFLICT",
            f"{ID_FIELD[activity.kind]} {activity.external_id!r} was already recorded with other data.",
            (ID_FIELD[activity.kind],),
        )
    rewards = await sql.fetch(
        conn, "SELECT id FROM issued_rewards WHERE activity_id = $1 ORDER BY id", int(first["id"])
    )
    return RecordResult(int(first["id"]), int(first["customer_id"]), True, [int(r["id"]) for r in rewards])


async def _apply(evaluation: Evaluation, shop: Shop, activity: Activity, sets: dict) -> None:
    kind = activity.kind
    if kind == ActivityKind.ORDER_PLACED:
        sets.update(orders_count=("+", 1), total_spent=("+", activity.amount))
        await _order_placed(evaluation, shop, activity)
    elif kind == ActivityKind.ORDER_REFUNDED:
        sets["total_refunded"] = ("+", activity.amount)
        await _order_refunded(evaluation, shop, activity)
    elif kind == ActivityKind.REVIEW_POSTED:
        sets["reviews_count"] = ("+", 1)
        await _count(evaluation, shop, kind, RuleType.REVIEWS_COUNT, MixedStepMetric.REVIEWS, 1)
    elif kind == ActivityKind.REFERRAL_COMPLETED:
        sets["referrals_count"] = ("+", 1)
        await _count(evaluation, shop, kind, None, MixedStepMetric.REFERRALS, 1)
    elif kind == ActivityKind.SUBSCRIPTION_BILLED:
        await _billed(evaluation, shop, activity)
    elif kind == ActivityKind.SUBSCRIPTION_CANCELLED:
        await _cancelled(evaluation, shop, activity)
    elif kind == ActivityKind.POINTS_EARNED:
        await evaluation.ledger(LedgerAccount.POINTS, activity.points, "ACTIVITY")
        await evaluation.feed_points(activity.points, None)


async def _rules(evaluation: Evaluation, shop: Shop, kind: ActivityKind) -> list[RuleRef]:
    # The rules that points feed come with the same query, for the points rewards the
    # activity may issue.
    rules = await active_rules(evaluation.conn, shop.id, FEEDS[kind] | POINTS_FEED)
    evaluation.points_rules = [rule for rule in rules if rule.type in POINTS_FEED]
    return [rule for rule in rules if rule.type in FEEDS[kind] and rule.in_window(evaluation.at)]


async def _count(
    evaluation: Evaluation,
    shop: Shop,
    kind: ActivityKind,
    rule_type: RuleType | None,
    metric: MixedStepMetric,
    amount: int,
) -> None:
    rules = [r for r in await _rules(evaluation, shop, kind) if r.type in (RuleType.MIXED, rule_type)]
    await evaluation.load_progress(rules)
    for rule in rules:
        if rule.type == RuleType.MIXED:
            await evaluation.advance_mixed(rule, metric, amount)
        else:
            await evaluation.advance(rule, amount)


async def _order_placed(evaluation: Evaluation, shop: Shop, activity: Activity) -> None:
    counted: list[int] = []
    rules = await _rules(evaluation, shop, ActivityKind.ORDER_PLACED)
    # A free order moves no AMOUNT_SPENT progress (and creates none).
    await evaluation.load_progress([r for r in rules if r.type != RuleType.AMOUNT_SPENT or activity.amount])
    for rule in rules:
        if rule.type == RuleType.ORDERS_COUNT:
            await evaluation.advance(rule, 1)
            counted.append(rule.id)
        elif rule.type == RuleType.AMOUNT_SPENT:
            counted.append(rule.id)
            if activity.amount:
                await evaluation.advance(rule, activity.amount)
        else:
            await evaluation.advance_mixed(rule, MixedStepMetric.ORDERS, 1)
            await evaluation.advance_mixed(rule, MixedStepMetric.AMOUNT_SPENT, activity.amount)
    await sql.execute(
        evaluation.conn,
        "INSERT INTO orders (shop_id, customer_id, external_id, total, refunded, occurred_at,"
        " counted_rule_ids) VALUES ($1, $2, $3, $4, 0, $5, $6)",
        shop.id,
        evaluation.customer_id,
        activity.external_id,
        activity.amount,
        activity.occurred_at,
        json.dumps(counted),
    )


async def _order_refunded(evaluation: Evaluation, shop: Shop, activity: Activity) -> None:
    order = await sql.fetch_one(
        evaluation.conn,
        "SELECT id, customer_id, total, refunded, counted_rule_ids FROM orders"
        " WHERE shop_id = $1 AND external_id = $2",
        shop.id,
        activity.order_id,
    )
    if order is None or int(order["customer_id"]) != evaluation.customer_id:
        raise DomainError.one("NOT_FOUND", "Order not found for this customer.", ("orderId",))
    total, refunded = int(order["total"]), int(order["refunded"])
    if activity.amount > total - refunded:
        raise DomainError.one(
            "REFUND_EXCEEDS_ORDER",
            f"The refund is more than what is left of the order"
            f" ({from_minor(total - refunded, shop.currency)} {shop.currency}).",
            ("amount",),
        )
    await sql.execute(
        evaluation.conn,
        "UPDATE orders SET refunded = refunded + $1 WHERE id = $2",
        activity.amount,
        int(order["id"]),
    )
    in_full = refunded + activity.amount == total
    counted = sql.from_json(order["counted_rule_ids"]) or []
    for rule in await rules_by_id(evaluation.conn, shop.id, counted):
        if rule.status not in LIVE:
            continue
        if rule.type == RuleType.AMOUNT_SPENT:
            await evaluation.advance(rule, -activity.amount)
        elif rule.type == RuleType.ORDERS_COUNT and in_full:
            await evaluation.advance(rule, -1)


async def _contract(evaluation: Evaluation, shop: Shop, activity: Activity) -> dict:
    contract = await sql.fetch_one(
        evaluation.conn,
        "SELECT id, customer_id, cycles, status FROM subscription_contracts"
        " WHERE shop_id = $1 AND external_id = $2",
        shop.id,
        activity.contract_id,
    )
    if contract is not None and int(contract["customer_id"]) != evaluation.customer_id:
        raise DomainError.one("NOT_FOUND", "Contract not found for this customer.", ("contractId",))
    return contract


async def _billed(evaluation: Evaluation, shop: Shop, activity: Activity) -> None:
    contract = await _contract(evaluation, shop, activity)
    if contract is None:
        row = await sql.fetch_one(
            evaluation.conn,
            "INSERT INTO subscription_contracts (shop_id, customer_id, external_id, status, cycles,"
            " last_billed_at) VALUES ($1, $2, $3, 'ACTIVE', 1, $4) RETURNING id",
            shop.id,
            evaluation.customer_id,
            activity.contract_id,
            activity.occurred_at,
        )
        contract_id = int(row["id"])
    else:
        contract_id = int(contract["id"])
        await sql.execute(
            evaluation.conn,
            "UPDATE subscription_contracts SET status = 'ACTIVE', cycles = cycles + 1,"
            f" last_billed_at = {sql.greatest(evaluation.conn)}(coalesce(last_billed_at, $1), $1)"
            " WHERE id = $2",
            activity.occurred_at,
            contract_id,
        )
    rules = await _rules(evaluation, shop, ActivityKind.SUBSCRIPTION_BILLED)
    await evaluation.load_progress(rules)
    for rule in rules:
        if rule.type == RuleType.MIXED:
            await evaluation.advance_mixed(rule, MixedStepMetric.SUBSCRIPTION_CYCLES, 1)
            continue
        row = await sql.fetch_one(
            evaluation.conn,
            "INSERT INTO contract_progress (rule_id, contract_id, customer_id, cycles)"
            " VALUES ($1, $2, $3, 1) ON CONFLICT (rule_id, contract_id) DO UPDATE"
            " SET cycles = contract_progress.cycles + 1 RETURNING cycles",
            rule.id,
            contract_id,
            evaluation.customer_id,
        )
        cycles = int(row["cycles"])
        await evaluation.set_value(rule, await _best_contract(evaluation, rule))
        # Each milestone once per customer: the first contract to reach it wins.
        await evaluation.grant_between(rule, cycles - 1, cycles)


async def _cancelled(evaluation: Evaluation, shop: Shop, activity: Activity) -> None:
    contract = await _contract(evaluation, shop, activity)
    if contract is None:
        raise DomainError.one("NOT_FOUND", "Contract not found for this customer.", ("contractId",))
    contract_id = int(contract["id"])
    await sql.execute(
        evaluation.conn,
        "UPDATE subscription_contracts SET status = 'CANCELLED', cycles = 0 WHERE id = $1",
        contract_id,
    )
    rows = await sql.fetch(
        evaluation.conn, "SELECT rule_id FROM contract_progress WHERE contract_id = $1", contract_id
    )
    await sql.execute(
        evaluation.conn, "UPDATE contract_progress SET cycles = 0 WHERE contract_id = $1", contract_id
    )
    for rule in await rules_by_id(evaluation.conn, shop.id, [int(r["rule_id"]) for r in rows]):
        if rule.status in LIVE:
            await evaluation.set_value(rule, await _best_contract(evaluation, rule))


async def _best_contract(evaluation: Evaluation, rule: RuleRef) -> int:
    row = await sql.fetch_one(
        evaluation.conn,
        "SELECT coalesce(max(cycles), 0) AS best FROM contract_progress"
        " WHERE rule_id = $1 AND customer_id = $2",
        rule.id,
        evaluation.customer_id,
    )
    return int(row["best"])
