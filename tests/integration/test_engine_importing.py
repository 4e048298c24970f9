"""Importing a batch of activities leaves exactly what recording them one by one leaves."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from engine.core.activities import ActivityInput
from engine.core.drafts import MilestoneDraft, RewardDraft, RuleDraft
from engine.core.enums import ActivityKind, MixedStepMetric, Plan, RefundPolicy, RewardKind, RuleType
from engine.core.errors import DomainError
from engine.services import rules, shops
from engine.services.importing import import_activities
from engine.services.recording import record_activity
from engine.store import sql

POINTS = RewardDraft(RewardKind.POINTS, points=40)
CODE = RewardDraft(RewardKind.PERCENTAGE_DISCOUNT, percent=Decimal("10"))
RULES = [
    (RuleType.ORDERS_COUNT, RefundPolicy.KEEP, [(1, POINTS), (2, CODE), (4, POINTS)]),
    (RuleType.AMOUNT_SPENT, RefundPolicy.REVOKE_UNREDEEMED, [(50, POINTS), (90, CODE)]),
    (RuleType.POINTS_EARNED, RefundPolicy.KEEP, [(60, CODE), (100, POINTS)]),
    (RuleType.REVIEWS_COUNT, RefundPolicy.KEEP, [(1, POINTS)]),
    (RuleType.SUBSCRIPTION_CYCLES, RefundPolicy.KEEP, [(2, POINTS)]),
]
STEPS = [(MixedStepMetric.ORDERS, 2), (MixedStepMetric.REVIEWS, 1), (MixedStepMetric.AMOUNT_SPENT, 30)]


def order(who, n, total):
    return ActivityInput(ActivityKind.ORDER_PLACED, who, f"o-{who}-{n}", amount=Decimal(total), currency="USD")


def refund(who, n, order_n, amount):
    return ActivityInput(ActivityKind.ORDER_REFUNDED, who, f"r-{who}-{n}", amount=Decimal(amount), order_id=f"o-{who}-{order_n}")


ACTIVITIES = [
    order("ann", 1, "30.00"),
    order("bob", 1, "95.00"),
    ActivityInput(ActivityKind.REVIEW_POSTED, "ann", "rev-1"),
    order("ann", 2, "25.00"),
    order("ann", 2, "25.00"),  # the webhook again: a duplicate
    order("ann", 2, "26.00"),  # same id, other data: IDEMPOTENCY_CONFLICT
    refund("bob", 1, 1, "60.00"),  # under REVOKE_UNREDEEMED: back below both thresholds
    refund("bob", 2, 1, "99.00"),  # more than is left: REFUND_EXCEEDS_ORDER
    order("ann", 3, "10.00"),
    ActivityInput(ActivityKind.POINTS_EARNED, "cat", "p-1", points=70, source="quiz"),
    ActivityInput(ActivityKind.SUBSCRIPTION_BILLED, "cat", "b-1", contract_id="k-1"),
    ActivityInput(ActivityKind.SUBSCRIPTION_BILLED, "cat", "b-2", contract_id="k-1"),
    ActivityInput(ActivityKind.SUBSCRIPTION_CANCELLED, "cat", "x-1", contract_id="k-1"),
    ActivityInput(ActivityKind.SUBSCRIPTION_CANCELLED, "dan", "x-2", contract_id="k-none"),  # NOT_FOUND
    order("bob", 2, "120.00"),
    order("ann", 4, "5.00"),
    ActivityInput(ActivityKind.REFERRAL_COMPLETED, "ann", "ref-1"),
    ActivityInput(ActivityKind.SIGNUP, "eve", "eve"),
    order("eve", 1, "0.00"),
]
for item in ACTIVITIES:  # a resent webhook carries the first one's time
    first = next(n for n, other in enumerate(ACTIVITIES) if other.external_id == item.external_id)
    item.occurred_at = datetime(2026, 3, 1, tzinfo=UTC) + timedelta(minutes=first)


async def _shop():
    shop = await shops.create_shop("Import shop", "USD", Plan.ADVANCED)
    for rule_type, policy, milestones in RULES:
        draft = RuleDraft(rule_type.value, rule_type, [MilestoneDraft(Decimal(t), r) for t, r in milestones],
                          refund_policy=policy)
        await rules.activate_rule(shop, (await rules.create_rule(shop, draft, None)).id, True, None)
    mixed = RuleDraft("MIXED", RuleType.MIXED, [MilestoneDraft(Decimal(t), POINTS, m, f"step {m.value}") for m, t in STEPS])
    await rules.activate_rule(shop, (await rules.create_rule(shop, mixed, None)).id, True, None)
    return shop


async def _state(shop) -> dict:
    """Everything the activities left, with ids replaced by names that agree across shops."""
    conn = sql.current()

    async def rows(query: str) -> list[tuple]:
        return sorted(tuple(r.values()) for r in await sql.fetch(conn, query, shop.id))

    return {
        "customers": await rows(
            "SELECT external_id, orders_count, total_spent, total_refunded, reviews_count, referrals_count,"
            " points_balance, store_credit_balance, last_activity_at FROM customers WHERE shop_id = $1"),
        "activities": await rows(
            "SELECT kind, external_id, payload_hash, amount, subject_id FROM activities WHERE shop_id = $1"),
        "progress": await rows(
            "SELECT r.name, c.external_id, p.value, p.step, p.as_of FROM rule_progress p"
            " JOIN milestone_rules r ON r.id = p.rule_id"
            " JOIN customers c ON c.id = p.customer_id WHERE p.shop_id = $1"),
        "rewards": await rows(
            "SELECT r.name, m.position, c.external_id, w.grant_key, w.kind, w.status, a.external_id"
            " FROM issued_rewards w JOIN milestone_rules r ON r.id = w.rule_id JOIN milestones m ON m.id = w.milestone_id"
            " JOIN customers c ON c.id = w.customer_id LEFT JOIN activities a ON a.id = w.activity_id"
            " WHERE w.shop_id = $1"),
        "ledger": await rows(
            "SELECT c.external_id, l.account, l.delta, l.reason FROM ledger_entries l"
            " JOIN customers c ON c.id = l.customer_id WHERE l.shop_id = $1"),
        "events": [
            tuple(r.values()) for r in await sql.fetch(
                conn,
                "SELECT e.seq, e.type, r.name, m.position, c.external_id FROM reward_events e"
                " JOIN milestone_rules r ON r.id = e.rule_id JOIN milestones m ON m.id = e.milestone_id"
                " JOIN customers c ON c.id = e.customer_id WHERE e.shop_id = $1 ORDER BY e.seq",
                shop.id,
            )
        ],
    }


async def test_importing_a_batch_leaves_exactly_what_recording_one_by_one_leaves():
    one_by_one, imported = await _shop(), await _shop()
    rejected_codes = {}
    for index, activity in enumerate(ACTIVITIES):
        try:
            await record_activity(one_by_one, activity)
        except DomainError as error:
            rejected_codes[index] = [p.code for p in error.problems]

    result = await import_activities(imported, ACTIVITIES)

    assert {r.index: [p.code for p in r.problems] for r in result.rejected} == rejected_codes == {
        5: ["IDEMPOTENCY_CONFLICT"], 7: ["REFUND_EXCEEDS_ORDER"], 13: ["NOT_FOUND"]
    }
    assert len(result.duplicates) == 1 and len(result.recorded) == len(ACTIVITIES) - 4
    expected, got = await _state(one_by_one), await _state(imported)
    assert got["rewards"] and got["events"] and got["ledger"]
    assert got == expected


async def test_importing_the_same_batch_again_changes_nothing():
    shop = await _shop()
    first = await import_activities(shop, ACTIVITIES)
    before = await _state(shop)
    again = await import_activities(shop, ACTIVITIES)
    assert await _state(shop) == before
    assert not again.recorded
    answered = [r for r in first.items if r.recorded]
    assert [r.index for r in again.duplicates] == [r.index for r in answered]
    assert [r.activity_id for r in again.duplicates] == [r.activity_id for r in answered]
    assert [r.issued_reward_ids for r in again.duplicates] == [r.issued_reward_ids for r in answered]
