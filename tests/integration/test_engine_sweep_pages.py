"""The sweep grants a page of customers at once. A shop whose inactivity points also move
other rules gets exactly the same rewards, ledger, balances and events, and the points move
those rules."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from engine.core.activities import ActivityInput
from engine.core.drafts import MilestoneDraft, RewardDraft, RuleDraft
from engine.core.enums import ActivityKind, Plan, RewardKind, RuleType
from engine.services import rules, shops
from engine.services.recording import record_activity
from engine.services.sweep import run_sweep
from engine.store import sql

START = datetime(2026, 2, 1, tzinfo=UTC)
AS_OF = START + timedelta(days=40)
LADDER = [
    (10, RewardDraft(RewardKind.POINTS, points=5)),
    (20, RewardDraft(RewardKind.STORE_CREDIT, amount=Decimal("2.50"))),
    (30, RewardDraft(RewardKind.PERCENTAGE_DISCOUNT, percent=Decimal("10"))),
]


async def _shop(points_feed_a_rule: bool):
    shop = await shops.create_shop("Sweep shop", "USD", Plan.ADVANCED)
    drafts = [RuleDraft("Come back", RuleType.INACTIVITY, [MilestoneDraft(Decimal(t), r) for t, r in LADDER],
                        reward_expiry_days=14)]
    if points_feed_a_rule:
        drafts.append(RuleDraft("Points", RuleType.POINTS_EARNED,
                                [MilestoneDraft(Decimal(10**6), RewardDraft(RewardKind.POINTS, points=1))]))
    for draft in drafts:
        # Counting past activity: the sweep looks back at a time before the activation.
        await rules.activate_rule(shop, (await rules.create_rule(shop, draft, None)).id, True, None)
    for n in range(12):  # idle 0, 3, 6, … 33 days at AS_OF
        await record_activity(shop, ActivityInput(
            ActivityKind.ORDER_PLACED, f"idle-{n}", f"o-{n}", AS_OF - timedelta(days=3 * n),
            amount=Decimal("10.00"), currency="USD"))
    return shop


async def _state(shop) -> dict:
    conn = sql.current()

    async def rows(query: str) -> list[tuple]:
        return [tuple(r.values()) for r in await sql.fetch(conn, query, shop.id)]

    return {
        "customers": await rows(
            "SELECT external_id, points_balance, store_credit_balance FROM customers"
            " WHERE shop_id = $1 ORDER BY external_id"),
        "rewards": await rows(
            "SELECT m.position, c.external_id, w.grant_key, w.kind, w.status, w.code IS NOT NULL,"
            " w.expires_at IS NOT NULL FROM issued_rewards w JOIN milestones m ON m.id = w.milestone_id"
            " JOIN customers c ON c.id = w.customer_id WHERE w.shop_id = $1 ORDER BY w.id"),
        "ledger": await rows(
            "SELECT c.external_id, l.account, l.delta, l.reason FROM ledger_entries l"
            " JOIN customers c ON c.id = l.customer_id WHERE l.shop_id = $1 ORDER BY l.id"),
        "events": await rows(
            "SELECT e.seq, e.type, m.position, c.external_id FROM reward_events e"
            " JOIN milestones m ON m.id = e.milestone_id JOIN customers c ON c.id = e.customer_id"
            " WHERE e.shop_id = $1 ORDER BY e.seq"),
    }


async def test_a_page_of_grants_leaves_what_one_customer_at_a_time_leaves():
    paged, one_by_one = await _shop(points_feed_a_rule=False), await _shop(points_feed_a_rule=True)

    paged_result = await run_sweep(as_of=AS_OF, shop_id=paged.id)
    one_result = await run_sweep(as_of=AS_OF, shop_id=one_by_one.id)

    # idle 12 to 33 days: 8 customers reach 10 days, 5 reach 20, 2 reach 30
    assert paged_result.granted == one_result.granted == 8 + 5 + 2
    expected = await _state(one_by_one)
    assert await _state(paged) == expected
    assert expected["customers"][-1] == ("idle-9", 5, 250)
    # The points moved the POINTS_EARNED rule.
    fed = await sql.fetch(sql.current(), "SELECT value FROM rule_progress WHERE shop_id = $1", one_by_one.id)
    assert sorted(int(r["value"]) for r in fed) == [5] * 8


async def test_sweeping_the_page_again_grants_nothing():
    shop = await _shop(points_feed_a_rule=False)
    await run_sweep(as_of=AS_OF, shop_id=shop.id)
    before = await _state(shop)
    assert (await run_sweep(as_of=AS_OF, shop_id=shop.id)).granted == 0
    assert await _state(shop) == before
