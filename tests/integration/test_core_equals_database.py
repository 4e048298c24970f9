"""The core folded over a random activity sequence in memory equals what recording the same
sequence through the database leaves: progress, grants, balances. And the stored state keeps
its invariants: balances equal their ledgers, no milestone is held twice, and under
REVOKE_UNREDEEMED nothing is held above the progress.

Activity arrives in the order it happened here; `test_late_activity_*` sends it out of order.
"""

import os
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from engine.core.activities import ActivityInput, validate
from engine.core.drafts import MilestoneDraft, RewardDraft, RuleDraft
from engine.core.enums import ActivityKind, MixedStepMetric, Plan, RefundPolicy, RewardKind, RuleType
from engine.core.errors import DomainError
from engine.core.evaluation import Context, fold
from engine.core.state import CustomerState
from engine.services import rules, shops
from engine.services.recording import record_activity
from engine.store import driver
from engine.store import rules as rulebook
from models import Customer, IssuedReward, LedgerEntry, Milestone, RuleProgress

CUSTOMERS = ["a", "b", "c"]
START = datetime(2026, 5, 1, tzinfo=UTC)
SETTINGS = settings(max_examples=int(os.environ.get("CORE_FOLD_EXAMPLES", "40")), deadline=None, suppress_health_check=list(HealthCheck))


def _points(n):
    return RewardDraft(RewardKind.POINTS, points=n)


RULES = [
    (RuleType.ORDERS_COUNT, RefundPolicy.KEEP, [(1, _points(3)), (3, _points(7)), (5, RewardDraft(RewardKind.FREE_SHIPPING))]),
    (RuleType.AMOUNT_SPENT, RefundPolicy.REVOKE_UNREDEEMED, [(50, _points(11)), (120, RewardDraft(RewardKind.STORE_CREDIT, amount=Decimal("4.50")))]),
    (RuleType.REVIEWS_COUNT, RefundPolicy.KEEP, [(2, _points(13))]),
    (RuleType.POINTS_EARNED, RefundPolicy.KEEP, [(20, _points(17)), (60, _points(19))]),
    (RuleType.SUBSCRIPTION_CYCLES, RefundPolicy.KEEP, [(2, _points(23)), (4, _points(29))]),
]
STEPS = [(MixedStepMetric.ORDERS, 2), (MixedStepMetric.REVIEWS, 1), (MixedStepMetric.POINTS_EARNED, 25),
         (MixedStepMetric.AMOUNT_SPENT, 40)]

step = st.one_of(
    st.tuples(st.just("order"), st.sampled_from(CUSTOMERS), st.integers(0, 5), st.sampled_from([0, 1000, 2500, 6000, 12345])),
    # refund: the k-th order recorded for the customer; in full, half of it, one cent, or too much
    st.tuples(st.just("refund"), st.sampled_from(CUSTOMERS), st.integers(0, 5), st.sampled_from(["full", "half", "cent", "over"])),
    st.tuples(st.just("review"), st.sampled_from(CUSTOMERS), st.integers(0, 5), st.just(0)),
    st.tuples(st.just("points"), st.sampled_from(CUSTOMERS), st.integers(0, 9), st.integers(1, 40)),
    st.tuples(st.just("bill"), st.sampled_from(CUSTOMERS), st.integers(0, 2), st.integers(0, 9)),
    st.tuples(st.just("cancel"), st.sampled_from(CUSTOMERS), st.integers(0, 2), st.integers(0, 3)),
)


def _input(kind, customer, n, value, at) -> ActivityInput:
    if kind == "order":
        return ActivityInput(ActivityKind.ORDER_PLACED, customer, f"o-{customer}-{n}", at,
                             amount=Decimal(value) / 100, currency="USD")
    if kind == "refund":
        order_id, amount = value
        return ActivityInput(ActivityKind.ORDER_REFUNDED, customer, f"r-{order_id}-{amount}", at,
                             amount=Decimal(amount) / 100, order_id=order_id)
    if kind == "review":
        return ActivityInput(ActivityKind.REVIEW_POSTED, customer, f"v-{customer}-{n}", at)
    if kind == "points":
        return ActivityInput(ActivityKind.POINTS_EARNED, customer, f"p-{customer}-{n}", at, points=value)
    if kind == "bill":
        return ActivityInput(ActivityKind.SUBSCRIPTION_BILLED, customer, f"b-{customer}-{n}-{value}", at,
                             contract_id=f"k-{customer}-{n}")
    return ActivityInput(ActivityKind.SUBSCRIPTION_CANCELLED, customer, f"x-{customer}-{n}-{value}", at,
                         contract_id=f"k-{customer}-{n}")


def _inputs(steps, times) -> list[ActivityInput]:
    """The sequence as the store would send it (refunds name an earlier order of theirs)."""
    orders: dict[str, list[tuple[str, int]]] = defaultdict(list)
    made = []
    for (kind, customer, n, value), at in zip(steps, times, strict=False):
        if kind == "refund":
            if not orders[customer]:
                continue
            order_id, total = orders[customer][n % len(orders[customer])]
            value = (order_id, {"full": total, "half": total // 2, "cent": 1, "over": total + 1}[value])
            if value[1] <= 0:
                continue
        if kind == "order":
            orders[customer].append((f"o-{customer}-{n}", value))
        made.append(_input(kind, customer, n, value, at))
    return made


async def _shop(steps=STEPS):
    shop = await shops.create_shop("Fold shop", "USD", Plan.ADVANCED)
    for rule_type, policy, milestones in RULES:
        draft = RuleDraft(rule_type.value, rule_type, [MilestoneDraft(Decimal(t), r) for t, r in milestones],
                          refund_policy=policy)
        await rules.activate_rule(shop, (await rules.create_rule(shop, draft, None)).id, True, None)
    journey = RuleDraft("MIXED", RuleType.MIXED, [MilestoneDraft(Decimal(t), _points(5), m, m.value) for m, t in steps])
    await rules.activate_rule(shop, (await rules.create_rule(shop, journey, None)).id, True, None)
    return shop


async def _recorded(shop, inputs: list[ActivityInput]) -> None:
    for data in inputs:
        try:
            await record_activity(shop, data)
        except DomainError:
            pass  # over-refunds and idempotency conflicts change nothing


async def _stored(shop) -> dict:
    customers = {c.id: c for c in await Customer.filter(shop_id=shop.id)}
    progress = {
        (customers[p.customer_id].external_id, p.rule_id): (p.value, p.step)
        for p in await RuleProgress.filter(shop_id=shop.id)
        if p.value or p.step
    }
    grants = Counter(
        (customers[r.customer_id].external_id, r.rule_id, r.milestone_id, r.grant_key, r.status)
        for r in await IssuedReward.filter(shop_id=shop.id)
    )
    balances = {c.external_id: (c.points_balance, c.store_credit_balance) for c in customers.values()}
    return {"progress": progress, "grants": grants, "balances": balances}


async def _folded(shop, inputs: list[ActivityInput], in_time_order: bool = False) -> dict:
    """The core over the same sequence, in memory, from nothing (the first of each id as it
    arrived; with `in_time_order`, then taken in the order they happened)."""
    rule_list = await driver.run(lambda: rulebook.live(shop.id, set(RuleType)))
    context = Context(START + timedelta(days=400), "USD")
    activities = defaultdict(list)
    for n, data in enumerate(inputs, start=1):
        try:
            activity = validate(data, "USD", context.now)
        except DomainError:
            continue
        activities[data.customer_external_id].append(activity.stored_as(n))
    progress, grants, balances = {}, Counter(), {}
    for customer, items in activities.items():
        if in_time_order:  # the first of an id as it arrived is the one tried
            firsts = {}
            for a in items:
                firsts.setdefault((a.kind, a.external_id), a)
            items = sorted(firsts.values(), key=lambda a: a.occurred_at)
        state, recorded, decisions = CustomerState(hash(customer), customer), set(), []
        for a in items:
            if (a.kind, a.external_id) in recorded:
                continue  # a duplicate, or the same id with other data: refused
            outcomes, after = fold(state, [a], rule_list, context)
            if not isinstance(outcomes[0], DomainError):
                recorded.add((a.kind, a.external_id))
                decisions.append(outcomes[0])
                state = after
        for rule_id, p in state.progress.items():
            if p.value or p.step:
                progress[(customer, rule_id)] = (p.value, p.step)
        for grant in state.grants:
            grants[(customer, grant.rule_id, grant.milestone.id, str(grant.key), grant.status.value)] += 1
        if not decisions:  # a customer seen only in refused activity is never stored
            continue
        balances[customer] = (
            sum(d.customer.points for d in decisions),
            sum(d.customer.credit for d in decisions),
        )
    return {"progress": progress, "grants": grants, "balances": balances}


async def _invariants_hold(shop) -> None:
    for customer in await Customer.filter(shop_id=shop.id):
        ledger = await LedgerEntry.filter(customer_id=customer.id)
        assert customer.points_balance == sum(e.delta for e in ledger if e.account == "POINTS")
        assert customer.store_credit_balance == sum(e.delta for e in ledger if e.account == "STORE_CREDIT")
    live = await IssuedReward.filter(shop_id=shop.id).exclude(status="REVOKED")
    assert all(n == 1 for n in Counter((r.customer_id, r.milestone_id) for r in live).values())
    revoking = {r.id for r in await driver.run(lambda: rulebook.live(shop.id, set(RuleType))) if r.revokes}
    stored = {(p.customer_id, p.rule_id): p.value for p in await RuleProgress.filter(shop_id=shop.id)}
    thresholds = {m.id: m.threshold for m in await Milestone.filter(rule_id__in=revoking)}
    for reward in live:
        if reward.rule_id in revoking:  # what progress no longer meets was revoked
            assert thresholds[reward.milestone_id] <= stored.get((reward.customer_id, reward.rule_id), 0)


@SETTINGS
@given(st.lists(step, min_size=8, max_size=50))
async def test_the_core_folded_in_memory_equals_what_recording_stores(steps):
    shop = await _shop()
    inputs = _inputs(steps, [START + timedelta(hours=n) for n in range(len(steps))])
    note(repr(steps))
    await _recorded(shop, inputs)
    stored, folded = await _stored(shop), await _folded(shop, inputs)
    assert stored["progress"] == folded["progress"]
    assert stored["grants"] == folded["grants"]
    assert stored["balances"] == folded["balances"]
    await _invariants_hold(shop)


in_any_order = st.lists(step.filter(lambda s: s[0] not in ("refund", "cancel")), min_size=8, max_size=40)
# No points step: a reward's points count toward a journey at the time of the latest activity
# that reached the reward, and a late activity does not move that time back.
STEPS_BY_ACTIVITY = [(MixedStepMetric.ORDERS, 2), (MixedStepMetric.REVIEWS, 1),
                     (MixedStepMetric.AMOUNT_SPENT, 40), (MixedStepMetric.SUBSCRIPTION_CYCLES, 2)]


@SETTINGS
@given(in_any_order, st.randoms(use_true_random=False))
async def test_late_activity_leaves_what_it_would_have_left_in_order(steps, random):
    """Sent in any order, activity counts by when it happened: a late one replays MIXED
    journeys and contracts, dates its grants by the latest activity counted, and the shop
    ends exactly as if everything had arrived in order. (Refunds and cancellations that
    arrive late can only undo so much: a grant kept under KEEP stays.)"""
    shop = await _shop(STEPS_BY_ACTIVITY)
    inputs = _inputs(steps, [START + timedelta(hours=n) for n in range(len(steps))])
    late = list(inputs)
    random.shuffle(late)
    await _recorded(shop, late)
    stored, folded = await _stored(shop), await _folded(shop, late, in_time_order=True)
    assert stored == folded
    await _invariants_hold(shop)
