"""INACTIVITY in the core: the sweep grants each milestone once per inactivity episode."""

from datetime import timedelta

from engine.core.enums import RuleType
from tests.unit.core_builders import START, more, order, play, points, rule, sweep


def test_each_milestone_once_per_episode_and_new_activity_starts_another():
    idle = rule(RuleType.INACTIVITY, [(30, points(100)), (60, points(200))])
    played = play([idle], order("o1", "5.00", 0))
    played = sweep(played, [idle], START + timedelta(days=29))
    assert played.granted(idle) == []
    played = sweep(played, [idle], START + timedelta(days=30))
    played = sweep(played, [idle], START + timedelta(days=45))
    assert played.granted(idle) == [30]
    played = sweep(played, [idle], START + timedelta(days=61))
    assert played.granted(idle) == [30, 60]
    played = more(played, [idle], order("o2", "5.00", 24 * 100))
    played = sweep(played, [idle], START + timedelta(days=131))
    assert played.granted(idle) == [30, 60, 30]
    assert len({str(g.key) for g in played.grants}) == 2


def test_activity_feeds_no_inactivity_rule():
    idle = rule(RuleType.INACTIVITY, [(1, points(1))])
    assert play([idle], order("o1", "5.00", 0)).state.progress == {}
