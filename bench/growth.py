"""P2: does an activity cost more for a customer with a long history, or on a rule with many
milestones? Timed in-process on the engine (`record_activity`), one activity at a time.

History shop: ORDERS_COUNT, AMOUNT_SPENT and REVIEWS_COUNT rules (10 milestones each); a heavy
customer with a long order history against light customers with 10 orders each. Milestone
shops: one ORDERS_COUNT rule with 3 milestones (1, 2, 3) or 1,000 (1 … 1000); every timed order
is a new customer's first, so each crosses one milestone and is granted one reward in both.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import timedelta
from decimal import Decimal

from api import db
from bench.shop import fill, make_shop
from engine.core.activities import ActivityInput
from engine.core.enums import ActivityKind, RuleType
from engine.services import clock
from engine.services.recording import record_activity
from models import Shop

LIGHT_CUSTOMERS = 20
HISTORY_RULES = [(RuleType.ORDERS_COUNT, 1, 1000), (RuleType.AMOUNT_SPENT, 1, 500_000), (RuleType.REVIEWS_COUNT, 1, 5)]


def _orders(who: str, count: int, days_ago: int = 300) -> list[ActivityInput]:
    start = clock.now() - timedelta(days=days_ago)
    step = timedelta(days=days_ago - 1) / max(1, count)
    return [
        ActivityInput(ActivityKind.ORDER_PLACED, who, f"past-{who}-{k}", start + step * k,
                      amount=Decimal("25.00"), currency="USD")
        for k in range(count)
    ]


async def build(heavy_history: int) -> dict:
    history = await make_shop(HISTORY_RULES)
    await fill(history.shop, _orders("heavy", heavy_history))
    light: list[ActivityInput] = []
    for n in range(LIGHT_CUSTOMERS):
        light += _orders(f"light{n}", 10)
    await fill(history.shop, light)
    few = await make_shop([(RuleType.ORDERS_COUNT, 1, 1)], milestones=3)
    many = await make_shop([(RuleType.ORDERS_COUNT, 1, 1)], milestones=1000)
    return {"history_shop": history.shop.id, "few_shop": few.shop.id, "many_shop": many.shop.id,
            "heavy_history": heavy_history}


async def _per_activity_ms(shop: Shop, customers: list[str], count: int, tag: str) -> float:
    times = []
    for n in range(count):
        who = customers[n % len(customers)]
        data = ActivityInput(ActivityKind.ORDER_PLACED, who, f"{tag}-{n}", amount=Decimal("25.00"), currency="USD")
        started = time.perf_counter()
        await record_activity(shop, data)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


async def _measure(url: str, facts: dict, count: int, runs: int) -> dict[str, list[float]]:
    await db.connect(url)
    try:
        history = await Shop.get(id=facts["history_shop"])
        few, many = await Shop.get(id=facts["few_shop"]), await Shop.get(id=facts["many_shop"])
        light = [f"light{n}" for n in range(LIGHT_CUSTOMERS)]
        out: dict[str, list[float]] = {"heavy": [], "light": [], "many": [], "few": []}
        await _per_activity_ms(history, light, 50, "warm")
        for run in range(runs):
            # Interleaved, so that drift in the machine's speed touches both sides alike.
            out["light"].append(await _per_activity_ms(history, light, count, f"l{run}"))
            out["heavy"].append(await _per_activity_ms(history, ["heavy"], count, f"h{run}"))
            fresh = [f"new{run}-{n}" for n in range(count)]
            out["few"].append(await _per_activity_ms(few, fresh, count, f"f{run}"))
            out["many"].append(await _per_activity_ms(many, fresh, count, f"m{run}"))
        return out
    finally:
        await db.disconnect()


def measure(url: str, facts: dict, count: int, runs: int) -> dict[str, list[float]]:
    return asyncio.run(_measure(url, facts, count, runs))
