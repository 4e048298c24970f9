"""The realistic shop the scenarios run on, built through the engine.

20 active rules of every type with 10 milestones each, and customers with history: every
customer has placed orders (1 to 3), every third has posted a review and every fifth has
earned points elsewhere. History goes through the engine's batch path (engine/importing.py), so
the rows are exactly what recording the activities one by one leaves.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from engine.core.activities import ActivityInput
from engine.core.drafts import MilestoneDraft, RewardDraft, RuleDraft
from engine.core.enums import ActivityKind, MixedStepMetric, Plan, RewardKind, Role, RuleType
from engine.services import clock
from engine.services.importing import import_activities
from engine.services.keys import create_key
from engine.services.rules import activate_rule, create_rule
from engine.services.shops import create_shop
from models import Shop

# Type -> how many rules of it, and the step between its thresholds (a count, cents, points,
# days or cycles); the rules of one type get wider steps, as a merchant's programs would.
RULE_MIX: list[tuple[RuleType, int, int]] = [
    (RuleType.ORDERS_COUNT, 4, 5),
    (RuleType.AMOUNT_SPENT, 4, 25000),
    (RuleType.MIXED, 3, 3),
    (RuleType.POINTS_EARNED, 2, 500),
    (RuleType.REVIEWS_COUNT, 2, 2),
    (RuleType.INACTIVITY, 2, 30),
    (RuleType.SUBSCRIPTION_CYCLES, 3, 3),
]
MIXED_METRICS = [MixedStepMetric.ORDERS, MixedStepMetric.AMOUNT_SPENT, MixedStepMetric.REVIEWS]


def reward(n: int) -> RewardDraft:
    kinds = [
        RewardDraft(RewardKind.POINTS, points=50 + n),
        RewardDraft(RewardKind.STORE_CREDIT, amount=Decimal("5.00")),
        RewardDraft(RewardKind.FIXED_DISCOUNT, amount=Decimal("10.00")),
        RewardDraft(RewardKind.PERCENTAGE_DISCOUNT, percent=Decimal("15")),
        RewardDraft(RewardKind.FREE_SHIPPING),
        RewardDraft(RewardKind.FREE_GIFT, product_id="tote-bag", quantity=1),
    ]
    return kinds[n % len(kinds)]


def rule_draft(rule_type: RuleType, index: int, step: int, milestones: int = 10) -> RuleDraft:
    drafts = []
    step += step * index // 2
    for n in range(milestones):
        if rule_type == RuleType.MIXED:
            metric = MIXED_METRICS[n % len(MIXED_METRICS)]
            target = Decimal("150") if metric == MixedStepMetric.AMOUNT_SPENT else Decimal(step)
            drafts.append(MilestoneDraft(target, reward(n), metric, f"Step {n + 1}"))
        elif rule_type == RuleType.AMOUNT_SPENT:
            drafts.append(MilestoneDraft(Decimal(step * (n + 1)) / 100, reward(n)))
        else:
            drafts.append(MilestoneDraft(Decimal(step * (n + 1)), reward(n)))
    return RuleDraft(name=f"{rule_type.value.lower()} {index}", type=rule_type, milestones=drafts)


@dataclass
class BenchShop:
    shop: Shop
    admin_key: str
    rule_ids: list[int]


async def make_shop(rule_mix: list[tuple[RuleType, int, int]] = RULE_MIX, milestones: int = 10) -> BenchShop:
    shop = await create_shop("Bench shop", "USD", Plan.ADVANCED)
    key = await create_key(shop, Role.ADMIN, "bench")
    rule_ids = []
    for rule_type, count, step in rule_mix:
        for index in range(count):
            rule = await create_rule(shop, rule_draft(rule_type, index, step, milestones), None)
            # Counting past activity: the history filled in afterwards happened before.
            await activate_rule(shop, rule.id, True, None)
            rule_ids.append(rule.id)
    return BenchShop(shop, key.secret, rule_ids)


def history(customers: int, prefix: str = "c") -> list[ActivityInput]:
    """Past activity for `customers` customers, oldest first, ending a day ago."""
    start = clock.now() - timedelta(days=400)
    items = []
    for n in range(customers):
        who = f"{prefix}{n}"
        for k in range(1 + n % 3):
            items.append(
                ActivityInput(ActivityKind.ORDER_PLACED, who, f"past-{who}-{k}",
                              amount=Decimal(20 + (n * 7 + k * 13) % 180), currency="USD")
            )
        if n % 3 == 0:
            items.append(ActivityInput(ActivityKind.REVIEW_POSTED, who, f"review-{who}"))
        if n % 5 == 0:
            items.append(ActivityInput(ActivityKind.POINTS_EARNED, who, f"pts-{who}", points=120, source="quiz"))
    step = timedelta(days=399) / max(1, len(items))
    for i, item in enumerate(items):
        item.occurred_at = start + step * i
    return items


async def fill(shop: Shop, items: list[ActivityInput]) -> None:
    for chunk in _chunks(items, 2000):
        await import_activities(shop, chunk)


def _chunks(items: list, size: int):
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


async def build(customers: int) -> dict:
    """The realistic shop in a fresh database; the facts the scenarios need."""
    made = await make_shop()
    items = history(customers)
    await fill(made.shop, items)
    return {"shop_id": made.shop.id, "admin_key": made.admin_key, "activities": len(items),
            "customers": customers, "rule_ids": made.rule_ids}
