"""Recomputing a rule's progress from the activity log: at activation, and when an edit
changes what a live rule counts.

Customers are taken a page at a time, in id order, each page in one transaction that locks
its customers first, as every unit of work that changes a customer does: live activity for a
customer waits for the page (or the page for it), so nothing is counted twice or lost. Each
customer's progress is the core's fold of their facts (`refold`), and the milestones it
reaches that they do not hold are granted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime

from engine.core.decisions import Decision
from engine.core.enums import RuleType
from engine.core.evaluation import Context, refold
from engine.core.journeys import JOURNEY_KINDS
from engine.core.rules import POINTS_FEED, Rule
from engine.core.state import CustomerState
from engine.services import clock, event_log, telemetry
from engine.store import activities, customers, decisions, driver
from engine.store import rules as rulebook
from engine.store.driver import Fetch, Work
from engine.store.sql import marks
from models import Shop

log = logging.getLogger("milestones.recompute")
PAGE = 500
# How long an activation waits for transactions that were running when it committed.
DRAIN_SECONDS = 30.0

# What each rule type's progress is a fold of (points credits besides, for POINTS_FEED types).
FACT_KINDS: dict[RuleType, tuple[str, ...]] = {
    RuleType.ORDERS_COUNT: ("ORDER_PLACED", "ORDER_REFUNDED"),
    RuleType.AMOUNT_SPENT: ("ORDER_PLACED", "ORDER_REFUNDED"),
    RuleType.REVIEWS_COUNT: ("REVIEW_POSTED",),
    RuleType.POINTS_EARNED: ("POINTS_EARNED",),
    RuleType.SUBSCRIPTION_CYCLES: ("SUBSCRIPTION_BILLED", "SUBSCRIPTION_CANCELLED"),
    RuleType.MIXED: tuple(sorted(k.value for k in JOURNEY_KINDS)),
    RuleType.INACTIVITY: (),
    RuleType.STREAK: ("ORDER_PLACED", "ORDER_REFUNDED", "REVIEW_POSTED"),
}


async def recompute(shop: Shop, rule_id: int, since: datetime | None = None) -> int:
    """Recompute the rule's progress for every customer with something it counts (only
    activity that occurred at or after `since`, when given) or with progress on it; returns
    how many customers were looked at."""
    await _drain()
    rule = await driver.run(lambda: rulebook.by_id(rule_id), label="recompute")
    if rule is None or rule.type == RuleType.INACTIVITY:
        return 0
    context = Context(clock.now(), shop.currency, timezone=shop.timezone)
    dialect = driver.dialect()
    after, seen = 0, 0
    while True:
        page = await driver.run(lambda: _customers(shop.id, rule, since, after), label="recompute")
        if not page:
            return seen
        made, written = await driver.run(lambda: _page(shop.id, rule, page, context, dialect), label="recompute")
        for grant in (g for decision in made for g in decision.grants):
            telemetry.reward_issued(grant.reward.kind.value)
        if written is not None and any(decision.events for decision in made):
            await event_log.published(shop.id, written.last_seq)
        seen += len(page)
        after = page[-1]


def _customers(shop_id: int, rule: Rule, since: datetime | None, after: int) -> Work[list[int]]:
    """The next page of customers with facts the rule counts (or progress on it)."""
    kinds = FACT_KINDS[rule.type]
    params: list = [shop_id, after, *kinds]
    recent = ""
    if since is not None:
        params.append(since)
        recent = f" AND a.occurred_at >= ${len(params)}"
    found = [
        f"EXISTS (SELECT 1 FROM activities a WHERE a.customer_id = c.id AND a.kind IN ({marks(len(kinds), 3)}){recent})"
    ]
    if rule.type in POINTS_FEED:
        found.append(
            "EXISTS (SELECT 1 FROM ledger_entries l WHERE l.customer_id = c.id AND l.account = 'POINTS'"
            f" AND l.reason = 'REWARD'{recent.replace('a.', 'l.')})"
        )
    if since is None:
        params.append(rule.id)
        found.append(
            f"EXISTS (SELECT 1 FROM rule_progress p WHERE p.customer_id = c.id AND p.rule_id = ${len(params)})"
        )
    rows = yield Fetch(
        f"SELECT c.id FROM customers c WHERE c.shop_id = $1 AND c.id > $2 AND ({' OR '.join(found)})"
        f" ORDER BY c.id LIMIT {PAGE}",
        params,
    )
    return [int(r["id"]) for r in rows]


def _page(
    shop_id: int, rule: Rule, customer_ids: Sequence[int], context: Context, dialect: str
) -> Work[tuple[list[Decision], decisions.Written | None]]:
    """One page: lock its customers, fold each one's facts, write what changed."""
    locked = yield from customers.lock(customer_ids, for_update=dialect != "sqlite")
    rules, progress, grants = yield from rulebook.with_state(shop_id, list(locked), {rule.type, *POINTS_FEED})
    current = next((r for r in rules if r.id == rule.id), None)
    if current is None:  # archived meanwhile
        return [], None
    others = [r for r in rules if r.id != rule.id and r.type in POINTS_FEED]
    facts = yield from activities.history(
        list(locked), set(), kinds=FACT_KINDS[rule.type], credits=rule.type in POINTS_FEED
    )
    made = []
    for customer_id, customer in locked.items():
        state = CustomerState(
            customer.id, customer.external_id, progress[customer_id], grants[customer_id], customer.last_activity_at
        )
        decision = refold(state, current, facts[customer_id], others, context)
        if not decision.empty:
            made.append(decision)
    if not made:
        return [], None
    return made, (yield from decisions.write(shop_id, made, context.now, dialect))


async def _drain() -> None:
    """On PostgreSQL, wait until the transactions running now have ended: one may have read
    the rules before the change being recomputed committed, and the recompute must see what
    it recorded. (SQLite runs one transaction at a time.)"""
    if driver.dialect() == "sqlite":
        return
    running = await driver.run(_running, label="recompute")
    deadline = asyncio.get_running_loop().time() + DRAIN_SECONDS
    while running:
        if asyncio.get_running_loop().time() > deadline:
            log.warning("recompute: %d transactions still running after %ss; going on", len(running), DRAIN_SECONDS)
            return
        await asyncio.sleep(0.005)
        running = await driver.run(lambda: _still_running(running), label="recompute")


def _running() -> Work[list[str]]:
    rows = yield Fetch("SELECT x::text AS xid FROM pg_snapshot_xip(pg_current_snapshot()) AS x")
    return [r["xid"] for r in rows]


def _still_running(xids: list[str]) -> Work[list[str]]:
    rows = yield Fetch(
        "SELECT x::text AS xid FROM unnest($1::text[]) AS t(x) WHERE pg_xact_status(x::xid8) = 'in progress'",
        (xids,),
    )
    return [r["xid"] for r in rows]
