"""Counting rules in the core, with no database: orders, money spent, reviews, points; both
refund policies; windows and counting periods."""

from engine.core.enums import RefundPolicy, RuleStatus, RuleType
from engine.core.rules import Period
from tests.unit.core_builders import (
    at,
    credit,
    discount,
    earned,
    gift,
    more,
    order,
    play,
    points,
    refund,
    review,
    rule,
)


def test_thirty_orders_on_the_seeds_ladder_grant_100_then_500_points_then_a_shirt():
    seed = rule(RuleType.ORDERS_COUNT, [(5, points(100)), (20, points(500)), (30, gift("shirt"))])
    played = play([seed], *(order(f"o{n}", "25.00", n) for n in range(30)))
    assert played.granted(seed) == [5, 20, 30]
    assert played.points == 600
    assert [g.code is not None for g in played.grants] == [False, False, True]
    assert played.value(seed) == 30


def test_one_order_crosses_two_spend_milestones_in_ascending_order():
    spend = rule(RuleType.AMOUNT_SPENT, [(10000, points(10)), (50000, credit(2500))])
    played = play([spend], order("big", "600.00", 0))
    assert played.granted(spend) == [10000, 50000]
    assert (played.points, played.credit) == (10, 2500)


def test_keep_keeps_rewards_after_a_refund_and_never_grants_them_twice():
    spend = rule(RuleType.AMOUNT_SPENT, [(10000, points(10)), (50000, discount())])
    played = play([spend], order("big", "600.00", 0), refund("r1", "big", "600.00", 1), order("again", "600.00", 2))
    assert played.granted(spend) == [10000, 50000]
    assert played.held(spend) == [10000, 50000]
    assert played.value(spend) == 60000


def test_revoke_unredeemed_takes_back_what_progress_no_longer_meets_and_grants_it_again():
    spend = rule(RuleType.AMOUNT_SPENT, [(10000, points(10)), (50000, discount())], policy=RefundPolicy.REVOKE_UNREDEEMED)
    played = play([spend], order("big", "600.00", 0), refund("r1", "big", "450.00", 1))
    assert played.held(spend) == [10000]  # the code above $150 is revoked
    assert [g.milestone.threshold for d in played.decisions for g in d.revocations] == [50000]
    played = more(played, [spend], refund("r2", "big", "150.00", 2))
    assert played.held(spend) == [] and played.points == 0  # credited 10, debited 10
    played = more(played, [spend], order("again", "100.00", 3))
    assert played.held(spend) == [10000]
    assert [str(g.key) for g in played.grants if g.milestone.threshold == 10000] == ["g0", "g1"]


def test_a_debit_may_take_the_balance_below_zero():
    orders = rule(RuleType.ORDERS_COUNT, [(1, points(50))], policy=RefundPolicy.REVOKE_UNREDEEMED)
    played = play([orders], order("o1", "20.00", 0), refund("r1", "o1", "20.00", 1))
    assert played.points == 0
    assert [(e.delta, e.reason.value) for d in played.decisions for e in d.ledger] == [(50, "REWARD"), (-50, "REVOKE")]


def test_an_order_leaves_orders_count_only_once_refunded_in_full():
    orders = rule(RuleType.ORDERS_COUNT, [(5, points(1))])
    played = play([orders], order("o1", "20.00", 0), order("o2", "20.00", 1), refund("r1", "o1", "5.00", 2))
    assert played.value(orders) == 2
    played = more(played, [orders], refund("r2", "o1", "15.00", 3))
    assert played.value(orders) == 1


def test_a_refund_beyond_what_is_left_or_of_an_unknown_order_is_refused_and_changes_nothing():
    spend = rule(RuleType.AMOUNT_SPENT, [(1000, points(1))])
    played = play([spend], order("o1", "20.00", 0), refund("r1", "o1", "20.01", 1), refund("r2", "nope", "1.00", 2))
    assert played.refused == ["REFUND_EXCEEDS_ORDER", "NOT_FOUND"]
    assert played.value(spend) == 2000


def test_another_customers_order_cannot_be_refunded():
    spend = rule(RuleType.AMOUNT_SPENT, [(1000, points(1))])
    theirs = play([spend], order("o1", "20.00", 0, customer="other"), customer="other")
    mine = play([spend], customer="me")
    mine.state.orders.update({k: v.__class__(v.external_id, 999, v.total, v.refunded, v.occurred_at)
                              for k, v in theirs.state.orders.items()})
    mine = more(mine, [spend], refund("r1", "o1", "1.00", 1, customer="me"))
    assert mine.refused == ["NOT_FOUND"]


def test_a_free_order_counts_as_an_order_but_moves_no_spend_progress():
    orders, spend = rule(RuleType.ORDERS_COUNT, [(1, points(1))]), rule(RuleType.AMOUNT_SPENT, [(100, points(1))])
    played = play([orders, spend], order("free", "0.00", 0))
    assert (played.value(orders), played.value(spend)) == (1, 0)
    assert spend.id not in played.state.progress


def test_each_review_counts():
    reviews = rule(RuleType.REVIEWS_COUNT, [(2, points(5))])
    played = play([reviews], review("v1", 0), review("v2", 1))
    assert played.granted(reviews) == [2]


def test_points_earned_counts_other_rules_points_and_reported_points_but_never_its_own():
    earning = rule(RuleType.POINTS_EARNED, [(20, points(5)), (40, points(7))])
    orders = rule(RuleType.ORDERS_COUNT, [(1, points(30))])
    played = play([orders, earning], order("o1", "10.00", 0))
    assert played.value(earning) == 30  # the 5 points it gave itself do not count
    assert played.granted(earning) == [20]
    played = more(played, [orders, earning], earned("e1", 10, 1))
    assert played.value(earning) == 40 and played.granted(earning) == [20, 40]
    assert played.points == 30 + 5 + 10 + 7


def test_points_from_a_points_earned_rule_move_no_other_points_rule():
    first, second = rule(RuleType.POINTS_EARNED, [(10, points(100))]), rule(RuleType.POINTS_EARNED, [(50, points(1))])
    played = play([first, second], earned("e1", 10, 0))
    assert (played.value(first), played.value(second)) == (10, 10)
    assert played.granted(second) == []


def test_only_activity_inside_the_window_counts():
    windowed = rule(RuleType.ORDERS_COUNT, [(1, points(1))], starts_at=at(10), ends_at=at(20))
    played = play([windowed], order("early", "1.00", 9), order("late", "1.00", 20))
    assert played.value(windowed) == 0
    played = more(played, [windowed], order("inside", "1.00", 10))
    assert played.value(windowed) == 1


def test_a_rule_counts_what_occurred_in_its_counting_periods_whenever_it_arrives():
    # Active from hour 10, paused at hour 20: what happened before or in between never counts,
    # what happened while it ran counts even when it arrives while the rule is paused.
    paused = rule(RuleType.ORDERS_COUNT, [(2, points(1))], periods=(Period(at(10), at(20)),), status=RuleStatus.PAUSED)
    played = play([paused], order("before", "1.00", 5), order("during", "1.00", 15), order("after", "1.00", 25))
    assert played.value(paused) == 1


def test_a_draft_or_archived_rule_counts_nothing():
    for status in (RuleStatus.DRAFT, RuleStatus.ARCHIVED):
        stopped = rule(RuleType.ORDERS_COUNT, [(1, points(1))], status=status)
        assert play([stopped], order("o", "1.00", 0)).value(stopped) == 0


def test_codes_expire_as_the_rule_says_and_points_carry_no_code():
    coded = rule(RuleType.ORDERS_COUNT, [(1, points(5)), (2, discount())], expiry_days=30)
    played = play([coded], order("o1", "1.00", 0), order("o2", "1.00", 1))
    plain, code = played.grants
    assert (plain.code, plain.expires_at) == (None, None)
    assert code.code.startswith("MS-") and (code.expires_at - code.issued_at).days == 30
