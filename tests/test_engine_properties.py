"""Random activity sequences: balances equal their ledgers, no milestone is granted twice, and
stored progress equals a recomputation from the activity log."""

from collections import Counter
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import rules, shops
from engine.activities import ActivityInput
from engine.backfill import recompute
from engine.definitions import MilestoneDraft, RewardDraft, RuleDraft
from engine.enums import ActivityKind, Plan, RefundPolicy, RewardKind, RuleType
from engine.errors import DomainError
from engine.recording import record_activity
from engine.rulebook import rule_ref
from models import Customer, IssuedReward, LedgerEntry, Milestone, RuleProgress
from models.sql import current

CUSTOMERS = ["a", "b", "c"]


def _points(n):
    return RewardDraft(RewardKind.POINTS, points=n)


RULES = [
    (RuleType.ORDERS_COUNT, RefundPolicy.KEEP, [(1, _points(3)), (3, _points(7)), (5, RewardDraft(RewardKind.FREE_SHIPPING))]),
    (RuleType.AMOUNT_SPENT, RefundPolicy.REVOKE_UNREDEEMED, [(50, _points(11)), (120, RewardDraft(RewardKind.STORE_CREDIT, amount=Decimal("4.50")))]),
    (RuleType.REVIEWS_COUNT, RefundPolicy.KEEP, [(2, _points(13))]),
    (RuleType.POINTS_EARNED, RefundPolicy.KEEP, [(20, _points(17)), (60, _points(19))]),
    (RuleType.SUBSCRIPTION_CYCLES, RefundPolicy.KEEP, [(2, _points(23)), (4, _points(29))]),
]

step = st.one_of(
    st.tuples(st.just("order"), st.sampled_from(CUSTOMERS), st.integers(0, 5), st.sampled_from([0, 1000, 2500, 6000, 12345])),
    # refund: the k-th order recorded for the customer; in full, half of it, one cent, or too much
    st.tuples(st.just("refund"), st.sampled_from(CUSTOMERS), st.integers(0, 5), st.sampled_from(["full", "half", "cent", "over"])),
    st.tuples(st.just("review"), st.sampled_from(CUSTOMERS), st.integers(0, 5), st.just(0)),
    st.tuples(st.just("points"), st.sampled_from(CUSTOMERS), st.integers(0, 9), st.integers(1, 40)),
    st.tuples(st.just("bill"), st.sampled_from(CUSTOMERS), st.integers(0, 2), st.integers(0, 9)),
    st.tuples(st.just("cancel"), st.sampled_from(CUSTOMERS), st.integers(0, 2), st.integers(0, 3)),
)


def _activity(kind, customer, n, value):
    if kind == "order":
        return ActivityInput(ActivityKind.ORDER_PLACED, customer, f"o-{customer}-{n}",
                             amount=Decimal(value) / 100, currency="USD")
    if kind == "refund":
        order_id, total = value
        return ActivityInput(ActivityKind.ORDER_REFUNDED, customer, f"r-{order_id}-{total}",
                             amount=Decimal(total) / 100, order_id=order_id)
    if kind == "review":
        return ActivityInput(ActivityKind.REVIEW_POSTED, customer, f"v-{customer}-{n}")
    if kind == "points":
        return ActivityInput(ActivityKind.POINTS_EARNED, customer, f"p-{customer}-{n}", points=value)
    if kind == "bill":
        return ActivityInput(ActivityKind.SUBSCRIPTION_BILLED, customer, f"b-{customer}-{n}-{value}",
                             contract_id=f"k-{customer}-{n}")
    return ActivityInput(ActivityKind.SUBSCRIPTION_CANCELLED, customer, f"x-{customer}-{n}-{value}",
                         contract_id=f"k-{customer}-{n}")


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(step, min_size=8, max_size=60))
async def test_random_activity_keeps_ledgers_grants_and_progress_exact(steps):
    shop = await shops.create_shop("Property shop", "USD", Plan.ADVANCED)
    rule_rows = []
    for rule_type, policy, milestones in RULES:
        draft = RuleDraft(
            name=rule_type.value, type=rule_type, refund_policy=policy,
            milestones=[MilestoneDraft(Decimal(t), r) for t, r in milestones],
        )
        rule = await rules.create_rule(shop, draft, None)
        rule_rows.append(await rules.activate_rule(shop, rule.id, False, None))

    orders: dict[str, list[tuple[str, int]]] = {c: [] for c in CUSTOMERS}
    for kind, customer, n, value in steps:
        if kind == "refund":
            if not orders[customer]:
                continue
            order_id, total = orders[customer][n % len(orders[customer])]
            amount = {"full": total, "half": total // 2, "cent": 1, "over": total + 1}[value]
            if amount <= 0:
                continue
            value = (order_id, amount)
        try:
            await record_activity(shop, _activity(kind, customer, n, value))
        except DomainError:
            continue  # over-refunds and idempotency conflicts change nothing
        if kind == "order":
            orders[customer].append((f"o-{customer}-{n}", value))

    for customer in await Customer.filter(shop_id=shop.id):
        ledger = await LedgerEntry.filter(customer_id=customer.id)
        assert customer.points_balance == sum(e.delta for e in ledger if e.account == "POINTS")
        assert customer.store_credit_balance == sum(e.delta for e in ledger if e.account == "STORE_CREDIT")

    live = await IssuedReward.filter(shop_id=shop.id).exclude(status="REVOKED")
    counts = Counter((r.customer_id, r.milestone_id) for r in live)
    assert all(n == 1 for n in counts.values()), counts

    conn = current()
    for rule in rule_rows:
        expected = await recompute(conn, shop.id, await rule_ref(conn, rule.id))
        stored = {p.customer_id: p.value for p in await RuleProgress.filter(rule_id=rule.id) if p.value}
        assert stored == {c: v.value for c, v in expected.items() if v.value}, rule.type
        if rule.refund_policy == RefundPolicy.REVOKE_UNREDEEMED.value:
            # What progress no longer meets was revoked.
            for reward in live:
                if reward.rule_id == rule.id:
                    milestone = await Milestone.get(id=reward.milestone_id)
                    assert milestone.threshold <= stored.get(reward.customer_id, 0)
