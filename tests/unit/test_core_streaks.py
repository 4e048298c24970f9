"""STREAK rules in the pure core (engine/core/streaks.py), with no database: calendar periods in
the shop's time zone, runs, the current and best streak, grants once per streak under their
keys, refunds, the sweep's closing of periods, and arrival order never changing the outcome."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core import streaks
from engine.core.activities import Activity, ActivityInput, validate
from engine.core.enums import (
    ActivityKind,
    IssuedRewardStatus,
    RefundPolicy,
    RewardKind,
    RuleStatus,
    RuleType,
    StreakMetric,
    StreakPeriod,
)
from engine.core.evaluation import Context, decide_streaks, fold
from engine.core.grants import GrantKey
from engine.core.rewards import Reward
from engine.core.rules import Ladder, Milestone, Period, Rule, StreakSettings
from engine.core.state import CustomerState, Progress

NY = ZoneInfo("America/New_York")
LATER = datetime(2029, 1, 1, tzinfo=UTC)
_ids = itertools.count(1)


def streak_rule(
    *thresholds: int,
    period: StreakPeriod = StreakPeriod.MONTH,
    metric: StreakMetric = StreakMetric.ORDERS,
    minimum: int | None = None,
    policy: RefundPolicy = RefundPolicy.KEEP,
) -> Rule:
    rule_id = next(_ids)
    ladder = Ladder.of([
        Milestone(rule_id * 100 + n, n, t, Reward(RewardKind.POINTS, points=10)) for n, t in enumerate(thresholds)
    ])
    return Rule(rule_id, f"Streak {rule_id}", RuleType.STREAK, RuleStatus.ACTIVE, ladder, refund_policy=policy,
                periods=(Period(),), streak=StreakSettings(period, metric, minimum))


def _stored(data: ActivityInput) -> Activity:
    return validate(data, "USD", LATER).stored_as(next(_ids))


def order(when: str, total: str = "10.00", order_id: str | None = None) -> Activity:
    return _stored(ActivityInput(ActivityKind.ORDER_PLACED, "c", order_id or f"o{next(_ids)}",
                                 datetime.fromisoformat(when), amount=Decimal(total), currency="USD"))


def refund(order_id: str, amount: str, when: str) -> Activity:
    return _stored(ActivityInput(ActivityKind.ORDER_REFUNDED, "c", f"r{next(_ids)}", datetime.fromisoformat(when),
                                 amount=Decimal(amount), order_id=order_id))


def review(when: str) -> Activity:
    return _stored(ActivityInput(ActivityKind.REVIEW_POSTED, "c", f"v{next(_ids)}", datetime.fromisoformat(when)))


def context(now: str | datetime) -> Context:
    moment = datetime.fromisoformat(now) if isinstance(now, str) else now
    return Context(moment, "USD", new_code=lambda: "MS-TEST", timezone="America/New_York")


def play(rules: list[Rule], activities: list[Activity], now: str | datetime) -> CustomerState:
    state = CustomerState(1, "c", streak_facts=[])
    results, state = fold(state, activities, rules, context(now))
    assert all(not isinstance(r, Exception) for r in results), results
    return state


def keys(state: CustomerState, rule: Rule) -> list[tuple[str, int, str]]:
    """(key, threshold, status) of the rule's grants, in the order they were made."""
    return [(str(g.key), g.milestone.threshold, g.status.value) for g in state.grants if g.rule_id == rule.id]


def shown(state: CustomerState, rule: Rule, now: str) -> streaks.StreakView:
    assert rule.streak is not None
    found = streaks.tallies(rule, state.streak_facts or [], NY)
    return streaks.view(found, rule.streak, NY, datetime.fromisoformat(now))


# --- the calendar ---------------------------------------------------------------------------


def test_an_order_late_on_the_last_of_march_in_new_york_is_in_march_though_april_in_utc():
    late = datetime.fromisoformat("2027-03-31T23:30:00-04:00")
    assert streaks.period_of(late, StreakPeriod.MONTH, NY) == date(2027, 3, 1)
    assert streaks.period_of(late, StreakPeriod.MONTH, ZoneInfo("UTC")) == date(2027, 4, 1)


def test_weeks_are_iso_weeks_from_monday_in_the_shops_time_zone():
    sunday_night = datetime.fromisoformat("2027-01-03T23:00:00-05:00")  # Monday 04:00 in UTC
    assert streaks.period_of(sunday_night, StreakPeriod.WEEK, NY) == date(2026, 12, 28)
    assert streaks.period_of(sunday_night, StreakPeriod.WEEK, ZoneInfo("UTC")) == date(2027, 1, 4)


def test_a_periods_bounds_are_local_midnights_across_a_dst_change():
    assert streaks.bounds(date(2027, 3, 1), StreakPeriod.MONTH, NY) == (
        datetime(2027, 3, 1, 5, tzinfo=UTC), datetime(2027, 4, 1, 4, tzinfo=UTC)
    )
    assert streaks.bounds(date(2027, 11, 1), StreakPeriod.MONTH, NY) == (
        datetime(2027, 11, 1, 4, tzinfo=UTC), datetime(2027, 12, 1, 5, tzinfo=UTC)
    )
    start, end = streaks.bounds(date(2027, 3, 8), StreakPeriod.WEEK, NY)
    assert end - start == timedelta(days=7, hours=-1)  # the week clocks go forward is an hour short


def test_months_shift_across_years():
    assert streaks.shift(date(2027, 12, 1), StreakPeriod.MONTH, 1) == date(2028, 1, 1)
    assert streaks.shift(date(2027, 1, 1), StreakPeriod.MONTH, -1) == date(2026, 12, 1)
    assert streaks.shift(date(2027, 1, 4), StreakPeriod.WEEK, -1) == date(2026, 12, 28)


# --- streaks --------------------------------------------------------------------------------


def test_the_current_streak_stands_on_the_previous_period_until_the_current_one_ends_empty():
    rule = streak_rule(3)
    state = play([rule], [order("2027-01-10T10:00:00-05:00"), order("2027-02-10T10:00:00-05:00")],
                 "2027-02-10T12:00:00-05:00")
    assert (shown(state, rule, "2027-02-20T00:00:00-05:00").current, state.progress[rule.id].value) == (2, 2)
    march = shown(state, rule, "2027-03-31T23:59:00-04:00")
    assert (march.current, march.best, march.value, march.met) == (2, 2, 0, False)
    april = shown(state, rule, "2027-04-01T00:00:00-04:00")
    assert (april.current, april.best) == (0, 2)


def test_a_streak_broken_by_an_empty_month_restarts_and_reaches_its_milestone_again_under_a_new_key():
    rule = streak_rule(3, 6)
    months = ["2027-01-20T10:00:00-05:00", "2027-02-10T10:00:00-05:00", "2027-03-31T23:30:00-04:00",
              "2027-05-02T10:00:00-04:00", "2027-06-15T10:00:00-04:00", "2027-07-01T00:05:00-04:00"]
    state = play([rule], [order(m) for m in months], "2027-07-01T00:10:00-04:00")
    assert keys(state, rule) == [("st:20270101", 3, "ISSUED"), ("st:20270501", 3, "ISSUED")]
    assert state.progress[rule.id] == Progress(3, as_of=datetime.fromisoformat(months[-1]))


def test_a_late_order_joining_two_runs_grants_only_what_the_joined_run_does_not_hold():
    rule = streak_rule(3, 6)
    early = [order("2027-01-10T10:00:00-05:00"), order("2027-02-10T10:00:00-05:00")]
    later = [order(f"2027-0{m}-10T10:00:00-04:00") for m in (4, 5, 6)]
    state = play([rule], [*early, *later, order("2027-03-10T10:00:00-05:00")], "2027-06-20T00:00:00-04:00")
    # April to June held the 3 when March arrived: January to June takes only the 6.
    assert keys(state, rule) == [("st:20270401", 3, "ISSUED"), ("st:20270101", 6, "ISSUED")]


def test_a_minimum_by_amount_needs_that_much_in_the_period():
    rule = streak_rule(2, metric=StreakMetric.AMOUNT_SPENT, minimum=2000)
    state = play([rule], [order("2027-01-05T10:00:00-05:00", "15.00"), order("2027-01-06T10:00:00-05:00", "5.00"),
                          order("2027-02-05T10:00:00-05:00", "19.99")], "2027-02-06T00:00:00-05:00")
    assert keys(state, rule) == []
    february = shown(state, rule, "2027-02-06T00:00:00-05:00")
    assert (february.current, february.value, february.minimum, february.met) == (1, 1999, 2000, False)
    state = fold(state, [order("2027-02-07T10:00:00-05:00", "0.01")], [rule], context("2027-02-08T00:00:00-05:00"))[1]
    assert keys(state, rule) == [("st:20270101", 2, "ISSUED")]


def test_a_reviews_streak_counts_reviews_and_ignores_orders():
    rule = streak_rule(2, metric=StreakMetric.REVIEWS)
    state = play([rule], [review("2027-01-31T23:59:00-05:00"), order("2027-02-01T10:00:00-05:00")],
                 "2027-02-02T00:00:00-05:00")
    assert keys(state, rule) == []
    state = fold(state, [review("2027-02-03T10:00:00-05:00")], [rule], context("2027-02-04T00:00:00-05:00"))[1]
    assert keys(state, rule) == [("st:20270101", 2, "ISSUED")]


def test_a_refund_lowers_its_orders_month_grants_nothing_and_revokes_only_under_revoke_unredeemed():
    keep, revoke = streak_rule(2), streak_rule(2, policy=RefundPolicy.REVOKE_UNREDEEMED)
    january = order("2027-01-10T10:00:00-05:00", order_id="jan")
    state = play([keep, revoke], [january, order("2027-02-10T10:00:00-05:00")], "2027-03-05T00:00:00-05:00")
    assert keys(state, keep) == [("st:20270101", 2, "ISSUED")] == keys(state, revoke)
    partly = refund("jan", "4.00", "2027-03-05T10:00:00-05:00")
    state = fold(state, [partly], [keep, revoke], context("2027-03-06T00:00:00-05:00"))[1]
    assert keys(state, revoke) == [("st:20270101", 2, "ISSUED")]  # still an order in January
    fully = refund("jan", "6.00", "2027-03-06T10:00:00-05:00")
    results, state = fold(state, [fully], [keep, revoke], context("2027-03-07T00:00:00-05:00"))
    assert results[0].grants == []  # type: ignore[union-attr]
    assert keys(state, keep) == [("st:20270101", 2, "ISSUED")]
    assert keys(state, revoke) == [("st:20270101", 2, "REVOKED")]
    # A new January order mends the run: granted again, one revision on.
    state = fold(state, [order("2027-01-20T10:00:00-05:00")], [keep, revoke], context("2027-03-08T00:00:00-05:00"))[1]
    assert keys(state, revoke) == [("st:20270101", 2, "REVOKED"), ("st:20270101.1", 2, "ISSUED")]
    assert keys(state, keep) == [("st:20270101", 2, "ISSUED")]


def test_streak_grant_keys_read_back():
    for key in (GrantKey(streak=date(2027, 3, 1)), GrantKey(2, streak=date(2027, 12, 27))):
        assert GrantKey.parse(str(key)) == key
    assert str(GrantKey(1, streak=date(2027, 1, 4))) == "st:20270104.1"


def test_the_sweep_stores_a_broken_streak_once_and_leaves_alive_or_newer_ones_alone():
    rule = streak_rule(3)
    state = play([rule], [order("2027-01-10T10:00:00-05:00"), order("2027-02-10T10:00:00-05:00")],
                 "2027-02-11T00:00:00-05:00")
    assert decide_streaks(state, [rule], datetime.fromisoformat("2027-03-20T00:00:00-04:00"),
                          context("2027-03-20T00:00:00-04:00")).progress == {}
    broken = decide_streaks(state, [rule], datetime.fromisoformat("2027-04-01T00:00:00-04:00"),
                            context("2027-04-01T00:00:00-04:00"))
    assert broken.progress[rule.id].value == 0 and broken.grants == []
    closed = CustomerState(1, "c", {rule.id: broken.progress[rule.id]}, state.grants, streak_facts=state.streak_facts)
    assert decide_streaks(closed, [rule], datetime.fromisoformat("2027-04-02T00:00:00-04:00"),
                          context("2027-04-02T00:00:00-04:00")).progress == {}
    # A sweep as of a time before the latest counted activity writes nothing.
    assert decide_streaks(state, [rule], datetime.fromisoformat("2027-02-01T00:00:00-05:00"),
                          context("2027-04-02T00:00:00-04:00")).progress == {}


# --- arrival order never changes the outcome -------------------------------------------------

FIRST = datetime(2027, 1, 1, 5, tzinfo=UTC)
when = st.integers(min_value=0, max_value=420 * 24).map(lambda hours: FIRST + timedelta(hours=hours))


@settings(max_examples=60, deadline=None)
@given(times=st.lists(when, min_size=1, max_size=14), period=st.sampled_from(list(StreakPeriod)), data=st.data())
def test_arrival_order_never_changes_the_streaks_or_what_each_run_holds(times, period, data):
    rule = streak_rule(2, 3, 5, period=period)
    activities = [order(t.isoformat()) for t in times]
    shuffled = data.draw(st.permutations(activities))
    now = LATER
    in_order = play([rule], sorted(activities, key=lambda a: a.occurred_at), now)
    arrived = play([rule], list(shuffled), now)
    assert in_order.progress.get(rule.id) == arrived.progress.get(rule.id)
    final = shown(in_order, rule, now.isoformat())
    assert (final.current, final.best) == (shown(arrived, rule, now.isoformat()).current, final.best)
    for run in final.runs:
        for milestone in rule.ladder.between(0, run.length):
            within = [g for g in arrived.grants
                      if g.milestone.id == milestone.id and g.key.streak and run.holds(g.key.streak)]
            in_time = [g for g in in_order.grants
                       if g.milestone.id == milestone.id and g.key.streak and run.holds(g.key.streak)]
            assert len(in_time) == 1 and in_time[0].key == GrantKey(streak=run.start)
            assert within and all(g.status == IssuedRewardStatus.ISSUED for g in within)
    assert len({(g.milestone.id, g.key) for g in arrived.grants}) == len(list(arrived.grants))
