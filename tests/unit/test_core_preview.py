"""Previews in the core, with no database: what a preview counts is what `refold` grants a
customer who holds nothing, and its figures (costs, buckets) add up as documented."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.drafts import MilestoneDraft, RewardDraft, RuleDraft, validate_rule
from engine.core.enums import MixedStepMetric, RewardKind, RuleStatus, RuleType
from engine.core.evaluation import refold
from engine.core.preview import Bucket, Cost, Preview, as_activated, unsaved_rule
from engine.core.rewards import Reward
from engine.core.rules import Period
from engine.core.state import CustomerState
from tests.unit.core_builders import (
    NOW,
    at,
    billed,
    cancelled,
    context,
    credit,
    discount,
    earned,
    gift,
    order,
    points,
    referral,
    refund,
    review,
    rule,
)


def fixed(minor: int) -> Reward:
    return Reward(RewardKind.FIXED_DISCOUNT, currency="USD", amount=minor)


def preview_of(r, customers: list[list], as_of=NOW) -> Preview:
    preview = Preview(as_activated(r), as_of, context())
    for n, facts in enumerate(customers):
        preview.add(n + 1, facts)
    return preview


def test_figures_per_milestone_costs_and_buckets_of_an_orders_ladder():
    ladder = rule(RuleType.ORDERS_COUNT, [(1, points(10)), (3, credit(500)), (5, fixed(750))])
    customers = [
        [order("a1", "10.00", 0)],
        [order(f"b{n}", "10.00", n) for n in range(4)],
        [order(f"c{n}", "10.00", n) for n in range(7)],
        [order("d1", "10.00", 0), refund("d1r", "d1", "10.00", 1)],  # refunded in full: no progress
    ]
    preview = preview_of(ladder, customers)
    assert [(f.milestone.threshold, f.customers_reached, f.rewards_issued) for f in preview.milestones] == [
        (1, 3, 3), (3, 2, 2), (5, 1, 1)
    ]
    assert [f.cost for f in preview.milestones] == [Cost(points=30), Cost(store_credit=1000),
                                                    Cost(discount_face_value=750)]
    assert preview.cost == Cost(30, 1000, 750)
    assert preview.customers_with_progress == 3
    assert preview.buckets == [Bucket(0, 1, 0), Bucket(1, 3, 1), Bucket(3, 5, 1), Bucket(5, None, 1)]


def test_percentage_discounts_free_shipping_and_gifts_cost_nothing_but_count_as_rewards():
    shipping = Reward(RewardKind.FREE_SHIPPING, currency="USD", max_shipping_amount=1500)
    for reward in (discount("15"), shipping, gift()):
        assert Cost.of(reward, 7) == Cost()
    assert Cost.of(points(5), 3) == Cost(points=15)
    assert Cost.of(credit(250), 2) == Cost(store_credit=500)
    assert Cost.of(fixed(1000), 4) == Cost(discount_face_value=4000)


def test_money_buckets_follow_the_thresholds_in_minor_units():
    spend = rule(RuleType.AMOUNT_SPENT, [(5000, points(1)), (15000, points(2))])
    preview = preview_of(spend, [[order("a", "49.99", 0)], [order("b", "50.00", 0)], [order("c", "150.00", 0)]])
    assert preview.buckets == [Bucket(0, 5000, 1), Bucket(5000, 15000, 1), Bucket(15000, None, 1)]


def test_a_journey_is_bucketed_by_steps_done():
    journey = rule(RuleType.MIXED, [(1, points(5), MixedStepMetric.ORDERS), (1, credit(100), MixedStepMetric.REVIEWS)])
    preview = preview_of(journey, [
        [order("a", "10.00", 0)],
        [order("b", "10.00", 0), review("br", 1)],
        [review("cr", 0)],  # a review before the first order counts for nothing
    ])
    assert [f.customers_reached for f in preview.milestones] == [2, 1]
    assert preview.customers_with_progress == 2
    assert preview.buckets == [Bucket(0, 1, 0), Bucket(1, 2, 1), Bucket(2, None, 1)]


def test_inactivity_counts_whole_days_to_the_end_of_the_window():
    idle = rule(RuleType.INACTIVITY, [(7, points(5)), (30, credit(400))])
    as_of = at(24 * 40)
    preview = preview_of(idle, [
        [order("a", "10.00", 0)],  # 40 days
        [order("b", "10.00", 24 * 20), review("br", 24 * 30)],  # 10 days since the review
        [review("c", 24 * 40 - 5)],  # 5 hours
    ], as_of)
    assert [f.customers_reached for f in preview.milestones] == [2, 1]
    assert preview.customers_with_progress == 2
    assert preview.buckets == [Bucket(0, 7, 0), Bucket(7, 30, 1), Bucket(30, None, 1)]
    earlier = preview_of(idle, [[order("a", "10.00", 0)]], at(24 * 6))
    assert [f.customers_reached for f in earlier.milestones] == [0, 0]


def test_the_rules_own_window_still_applies():
    recent = rule(RuleType.REVIEWS_COUNT, [(1, points(1)), (2, points(2))], starts_at=at(10))
    preview = preview_of(recent, [[review("a", 0), review("b", 20)]])
    assert [f.customers_reached for f in preview.milestones] == [1, 0]


def test_an_unsaved_rule_is_previewed_as_if_activated_with_past_activity():
    spec = validate_rule(RuleDraft("Spend", RuleType.AMOUNT_SPENT, [
        MilestoneDraft(Decimal("50"), RewardDraft(RewardKind.POINTS, points=5)),
        MilestoneDraft(Decimal("100.50"), RewardDraft(RewardKind.FIXED_DISCOUNT, amount=Decimal("7.25")))]), "USD")
    unsaved = unsaved_rule(spec)
    assert unsaved.status == RuleStatus.ACTIVE and unsaved.periods == (Period(),)
    assert [(m.id, m.position, m.threshold) for m in unsaved.ladder.by_position] == [(1, 0, 5000), (2, 1, 10050)]
    assert unsaved.ladder.by_position[1].reward == fixed(725)
    draft = rule(RuleType.ORDERS_COUNT, [(1, points(1))], status=RuleStatus.DRAFT, periods=())
    assert preview_of(draft, [[order("x", "1.00", 0)]]).milestones[0].customers_reached == 1


# --- the preview counts what refold grants ------------------------------------------------

LADDERS = {
    RuleType.ORDERS_COUNT: [(1, points(1)), (2, credit(100)), (4, fixed(200))],
    RuleType.AMOUNT_SPENT: [(1000, points(1)), (3000, credit(100)), (8000, discount())],
    RuleType.REVIEWS_COUNT: [(1, points(1)), (3, gift())],
    RuleType.POINTS_EARNED: [(50, fixed(100)), (200, points(3))],
    RuleType.SUBSCRIPTION_CYCLES: [(1, points(1)), (2, points(2)), (3, credit(50))],
    RuleType.MIXED: [(1, points(10), MixedStepMetric.ORDERS), (1, points(1), MixedStepMetric.REVIEWS),
                     (30, credit(10), MixedStepMetric.POINTS_EARNED), (2000, fixed(5), MixedStepMetric.AMOUNT_SPENT)],
}


@st.composite
def histories(draw):
    """One customer's activities in any order of arrival: orders and refunds of them,
    reviews, referrals, points, billings and cancellations of two contracts."""
    made = []
    orders = []
    for n in range(draw(st.integers(0, 12))):
        when = draw(st.floats(0, 500))
        kind = draw(st.sampled_from(["order", "order", "refund", "review", "referral", "points", "bill", "cancel"]))
        if kind == "order":
            total = draw(st.integers(0, 6000))
            orders.append((f"o{n}", total))
            made.append(order(f"o{n}", f"{total / 100:.2f}", when))
        elif kind == "refund" and orders:
            order_id, total = draw(st.sampled_from(orders))
            if total:
                made.append(refund(f"r{n}", order_id, f"{draw(st.integers(1, total)) / 100:.2f}", when))
        elif kind == "review":
            made.append(review(f"v{n}", when))
        elif kind == "referral":
            made.append(referral(f"f{n}", when))
        elif kind == "points":
            made.append(earned(f"p{n}", draw(st.integers(1, 120)), when))
        elif kind == "bill":
            made.append(billed(f"b{n}", draw(st.sampled_from(["k1", "k2"])), when))
        elif kind == "cancel":
            made.append(cancelled(f"c{n}", draw(st.sampled_from(["k1", "k2"])), when))
    return [a for a in made if not _refund_exceeds(a, made)]


def _refund_exceeds(activity, made) -> bool:
    """Two refunds of one order beyond its total: the store never sends those (the engine
    refuses the second), so a history has none."""
    if activity.order_id is None:
        return False
    refunds = [a for a in made if a.order_id == activity.order_id]
    total = next(a.amount for a in made if a.external_id == activity.order_id and a.kind.value == "ORDER_PLACED")
    return sum(a.amount for a in refunds[: refunds.index(activity) + 1]) > total


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(LADDERS, key=lambda t: t.value)), st.lists(histories(), min_size=1, max_size=4))
def test_a_preview_counts_what_refold_grants_a_customer_who_holds_nothing(type, customers):
    previewed = as_activated(rule(type, LADDERS[type]))
    preview = preview_of(previewed, customers)
    granted: Counter = Counter()
    reached: Counter = Counter()
    with_progress = 0
    for n, facts in enumerate(customers):
        decision = refold(CustomerState(n + 1, "c"), previewed, facts, [], context())
        ids = [g.milestone.id for g in decision.grants if g.rule_id == previewed.id]
        granted.update(ids)
        reached.update(set(ids))
        progress = decision.progress.get(previewed.id)
        with_progress += bool(progress and (progress.value > 0 or progress.step > 0))
    assert {f.milestone.id: f.rewards_issued for f in preview.milestones if f.rewards_issued} == dict(granted)
    assert {f.milestone.id: f.customers_reached for f in preview.milestones if f.customers_reached} == dict(reached)
    assert preview.customers_with_progress == with_progress
    assert sum(b.customers for b in preview.buckets) == with_progress


def test_an_empty_history_counts_for_nothing():
    preview = preview_of(rule(RuleType.ORDERS_COUNT, [(1, points(1))]), [[]])
    assert preview.customers_with_progress == 0
    assert preview.buckets == [Bucket(0, 1, 0), Bucket(1, None, 0)]
    assert preview_of(rule(RuleType.INACTIVITY, [(1, points(1))]), [[]]).customers_with_progress == 0


