"""An activity costs a fixed, small number of SQL statements whatever the number of rules: on
a shop with 20 active rules of every type, an order that crosses no milestone costs at most 5
(the idempotency insert included), and one that crosses one milestone costs what one that
crosses three costs, at most 9: grants, ledger entries and events are each one statement."""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from decimal import Decimal

from engine.core.activities import ActivityInput
from engine.core.drafts import MilestoneDraft, RewardDraft, RuleDraft
from engine.core.enums import ActivityKind, MixedStepMetric, Plan, RewardKind, RuleType, StreakMetric, StreakPeriod
from engine.services import rules, shops
from engine.services.recording import record_activity
from engine.store import driver

# Statements of the numbering that follows a commit with events on PostgreSQL (its own short
# transaction, shared by whatever committed meanwhile): told apart from the activity's own.
NUMBERING = ("pg_advisory_xact_lock", "UPDATE reward_events AS e", "pg_notify")
_ids = itertools.count(1)

# 20 rules of every type, 10 milestones each; an order crosses only AMOUNT_SPENT milestones,
# at $10 apart, and their points rewards move the POINTS_EARNED rules without crossing theirs.
MIX = [
    (RuleType.ORDERS_COUNT, 4), (RuleType.AMOUNT_SPENT, 1), (RuleType.MIXED, 3),
    (RuleType.POINTS_EARNED, 2), (RuleType.REVIEWS_COUNT, 2), (RuleType.INACTIVITY, 2),
    (RuleType.SUBSCRIPTION_CYCLES, 3), (RuleType.AMOUNT_SPENT, 3),
]


def _draft(rule_type: RuleType, index: int, crossing: bool) -> RuleDraft:
    milestones = []
    for n in range(10):
        reward = RewardDraft(RewardKind.POINTS, points=5) if n % 2 == 0 else RewardDraft(RewardKind.FREE_SHIPPING)
        if rule_type == RuleType.MIXED:
            milestones.append(MilestoneDraft(Decimal(5), reward, MixedStepMetric.ORDERS, f"Step {n}"))
        elif crossing:
            milestones.append(MilestoneDraft(Decimal(10 * (n + 1)), reward))  # $10, $20, … the one that crosses
        elif rule_type == RuleType.AMOUNT_SPENT:
            milestones.append(MilestoneDraft(Decimal(10_000 * (n + 1)), reward))
        else:
            milestones.append(MilestoneDraft(Decimal(1000 * (n + 1)), reward))
    return RuleDraft(f"{rule_type.value} {index}", rule_type, milestones)


async def _shop_with_twenty_rules():
    shop = await shops.create_shop("Counted shop", "USD", Plan.ADVANCED)
    drafts = [
        _draft(rule_type, index, crossing=rule_type == RuleType.AMOUNT_SPENT and how_many == 1)
        for rule_type, how_many in MIX
        for index in range(how_many)
    ]
    assert len(drafts) == 20
    for draft in drafts:
        await rules.activate_rule(shop, (await rules.create_rule(shop, draft, None)).id, False, None)
    return shop


def _order(customer: str, total: str) -> ActivityInput:
    return ActivityInput(ActivityKind.ORDER_PLACED, customer, f"counted-{next(_ids)}", amount=Decimal(total), currency="USD")


@contextmanager
def statements():
    seen: list[str] = []
    stop = driver.observe(seen.append)
    try:
        yield seen
    finally:
        stop()


def _split(seen: list[str]) -> tuple[list[str], list[str]]:
    numbering = [s for s in seen if any(mark in s for mark in NUMBERING)]
    return [s for s in seen if s not in numbering], numbering


async def test_an_order_that_crosses_no_milestone_costs_at_most_five_statements():
    shop = await _shop_with_twenty_rules()
    await record_activity(shop, _order("warm-up", "1.00"))  # this process caches the ladders
    with statements() as seen:
        result = await record_activity(shop, _order("quiet", "5.00"))
    own, numbering = _split(seen)
    assert result.issued_reward_ids == []
    assert len(own) <= 5, own
    assert numbering == []


async def test_an_order_crossing_three_milestones_costs_what_one_crossing_one_costs():
    shop = await _shop_with_twenty_rules()
    await record_activity(shop, _order("warm-up", "1.00"))
    with statements() as one:
        crossed_one = await record_activity(shop, _order("one", "15.00"))
    with statements() as three:
        crossed_three = await record_activity(shop, _order("three", "35.00"))
    assert len(crossed_one.issued_reward_ids) == 1 and len(crossed_three.issued_reward_ids) == 3
    own_one, numbering_one = _split(one)
    own_three, numbering_three = _split(three)
    assert len(own_one) == len(own_three) <= 9, own_three
    # On PostgreSQL the events are numbered after the commit, in one short transaction.
    expected = [] if driver.dialect() == "sqlite" else [3]
    assert ([len(numbering_one)] if numbering_one else []) == expected
    assert len(numbering_one) == len(numbering_three)


async def test_a_duplicate_order_costs_a_few_reads_and_writes_nothing_new():
    shop = await _shop_with_twenty_rules()
    order = _order("twice", "15.00")
    await record_activity(shop, order)
    with statements() as seen:
        again = await record_activity(shop, order)
    assert again.duplicate
    assert len(seen) <= 3, seen


async def test_a_streak_rule_costs_an_order_one_statement_more_the_customers_orders_refunds_and_reviews():
    plain = await _shop_with_twenty_rules()
    streaky = await _shop_with_twenty_rules()
    draft = RuleDraft(
        "Monthly streak", RuleType.STREAK, [MilestoneDraft(Decimal(3), RewardDraft(RewardKind.POINTS, points=5))],
        period=StreakPeriod.MONTH, streak_metric=StreakMetric.ORDERS,
    )
    await rules.activate_rule(streaky, (await rules.create_rule(streaky, draft, None)).id, False, None)
    for shop in (plain, streaky):
        await record_activity(shop, _order("warm-up", "1.00"))
        await record_activity(shop, _order("regular", "1.00"))
    with statements() as without:
        await record_activity(plain, _order("regular", "5.00"))
    with statements() as with_streak:
        await record_activity(streaky, _order("regular", "5.00"))
    own_without, _ = _split(without)
    own_with, _ = _split(with_streak)
    assert len(own_with) == len(own_without) + 1, own_with
    assert any("FROM activities a JOIN customers c" in s for s in own_with)
