"""MIXED journeys in the core: steps strictly in order, a step counts only what happens while
it is current, and a late activity replays the journey from history."""

import pytest

from engine.core.enums import MixedStepMetric as M
from engine.core.enums import RuleType
from engine.core.evaluation import needs_history
from tests.unit.core_builders import earned, more, order, play, points, referral, review, rule


def journey(*steps):
    return rule(RuleType.MIXED, [(target, points(n + 1), metric) for n, (metric, target) in enumerate(steps)])


def test_steps_are_done_strictly_in_order():
    mixed = journey((M.ORDERS, 1), (M.REVIEWS, 1), (M.ORDERS, 2))
    played = play([mixed], review("early", 0))  # not the current step: it counts for nothing
    assert (played.step(mixed), played.value(mixed)) == (0, 0)
    played = more(played, [mixed], order("o1", "5.00", 1), review("v1", 2), order("o2", "5.00", 3))
    assert (played.step(mixed), played.value(mixed)) == (2, 1)
    played = more(played, [mixed], order("o3", "5.00", 4))
    assert played.step(mixed) == 3 and played.granted(mixed) == [1, 1, 2]
    assert played.points == 1 + 2 + 3


def test_the_activity_that_completes_a_step_counts_toward_nothing_after_it():
    mixed = journey((M.AMOUNT_SPENT, 10000), (M.ORDERS, 1))
    played = play([mixed], order("big", "150.00", 0))
    assert (played.step(mixed), played.value(mixed)) == (1, 0)
    played = more(played, [mixed], order("next", "1.00", 1))
    assert played.step(mixed) == 2


def test_each_metric_counts_its_own_activity():
    mixed = journey((M.REFERRALS, 2), (M.POINTS_EARNED, 30))
    played = play([mixed], referral("f1", 0), referral("f2", 1), earned("e1", 20, 2), earned("e2", 20, 3))
    assert played.step(mixed) == 2


def test_a_late_activity_replays_the_journey_as_it_happened():
    mixed = journey((M.REVIEWS, 1), (M.ORDERS, 1))
    played = play([mixed], order("o1", "5.00", 10))  # counted for nothing: step 0 wants a review
    assert played.step(mixed) == 0
    played = more(played, [mixed], review("v1", 5))  # happened before the order
    assert played.step(mixed) == 2 and played.granted(mixed) == [1, 1]


def test_a_late_activity_needs_the_customers_history():
    mixed = journey((M.ORDERS, 2),)
    played = play([mixed], order("o1", "5.00", 10), history=False)
    late = review("v1", 5)
    assert needs_history(played.state, [late], [mixed])
    assert not needs_history(played.state, [order("o2", "5.00", 11)], [mixed])
    with pytest.raises(RuntimeError):
        more(played, [mixed], order("o0", "5.00", 1))


def test_a_journeys_points_never_count_toward_itself():
    mixed = journey((M.ORDERS, 1), (M.POINTS_EARNED, 1))
    played = play([mixed], order("o1", "5.00", 0))  # its first step gives 1 point: not for itself
    assert played.step(mixed) == 1
