"""SUBSCRIPTION_CYCLES in the core: a contract's consecutive billings, reset by cancellation;
the customer's best contract; each milestone once per customer."""

from engine.core.enums import RuleType
from engine.core.state import CustomerState
from tests.unit.core_builders import billed, cancelled, more, play, points, rule


def test_cancelling_resets_the_contract_and_each_milestone_is_earned_once():
    cycles = rule(RuleType.SUBSCRIPTION_CYCLES, [(2, points(10)), (3, points(20))])
    played = play([cycles], billed("b1", "k1", 0), billed("b2", "k1", 1))
    assert played.value(cycles) == 2 and played.granted(cycles) == [2]
    played = more(played, [cycles], cancelled("x1", "k1", 2), billed("b3", "k1", 3), billed("b4", "k1", 4))
    assert played.value(cycles) == 2 and played.granted(cycles) == [2]
    played = more(played, [cycles], billed("b5", "k1", 5))
    assert played.granted(cycles) == [2, 3]


def test_the_customers_progress_is_their_best_contract():
    cycles = rule(RuleType.SUBSCRIPTION_CYCLES, [(5, points(10))])
    played = play([cycles], billed("a1", "a", 0), billed("a2", "a", 1), billed("a3", "a", 2), billed("b1", "b", 3))
    assert played.value(cycles) == 3
    played = more(played, [cycles], cancelled("xa", "a", 4))
    assert played.value(cycles) == 1


def test_a_late_cancellation_counts_where_it_happened():
    cycles = rule(RuleType.SUBSCRIPTION_CYCLES, [(10, points(1))])
    played = play([cycles], billed("b1", "k", 0), billed("b2", "k", 2), billed("b3", "k", 3))
    assert played.value(cycles) == 3
    played = more(played, [cycles], cancelled("x", "k", 1))  # between the first and the second
    assert played.value(cycles) == 2


def test_a_contract_of_another_customer_or_a_cancellation_of_none_is_not_found():
    cycles = rule(RuleType.SUBSCRIPTION_CYCLES, [(1, points(1))])
    theirs = billed("b1", "shared", 0, customer="other")
    mine = play([cycles], customer="me")
    mine.state.subscriptions = [theirs]
    mine = more(mine, [cycles], billed("b2", "shared", 1, customer="me"), cancelled("x", "never", 2, customer="me"))
    assert mine.refused == ["NOT_FOUND", "NOT_FOUND"]
    assert isinstance(mine.state, CustomerState) and mine.value(cycles) == 0
