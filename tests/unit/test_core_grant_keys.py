"""Grant keys: revision 0 first and one more after each revocation, under either refund
policy, so that changing the policy never makes a held grant look missing."""

from datetime import UTC, datetime

from engine.core.enums import IssuedRewardStatus, RefundPolicy, RuleType
from engine.core.grants import GrantBook, GrantKey
from tests.unit.core_builders import more, order, play, points, refund, rule


def test_keys_read_back_as_written_and_the_first_key_of_old_rows_is_revision_zero():
    episode = datetime(2026, 4, 1, 12, 30, 15, 123456, tzinfo=UTC)
    for key in (GrantKey(0), GrantKey(3), GrantKey(episode=episode)):
        assert GrantKey.parse(str(key)) == key
    assert GrantKey.parse("once") == GrantKey(0)


def test_a_held_grant_blocks_the_next_and_a_revoked_one_makes_way_for_the_next_revision():
    book = GrantBook()
    assert book.next_key(1, 10) == GrantKey(0)
    spend = rule(RuleType.AMOUNT_SPENT, [(100, points(1))], policy=RefundPolicy.REVOKE_UNREDEEMED)
    played = play([spend], order("o1", "1.00", 0))
    assert played.state.grants.next_key(spend.id, spend.ladder.by_position[0].id) is None
    played = more(played, [spend], refund("r1", "o1", "1.00", 1))
    grant = next(iter(played.state.grants))
    assert grant.status == IssuedRewardStatus.REVOKED
    assert played.state.grants.next_key(spend.id, grant.milestone.id) == GrantKey(1)


def test_switching_keep_to_revoke_on_a_live_rule_never_grants_a_held_milestone_again():
    keep = rule(RuleType.ORDERS_COUNT, [(1, points(100))])
    played = play([keep], order("o1", "1.00", 0))
    revoking = keep.__class__(**{**keep.__dict__, "refund_policy": RefundPolicy.REVOKE_UNREDEEMED})
    played = more(played, [revoking], order("o2", "1.00", 1))
    assert played.granted(keep) == [1] and played.points == 100
    played = more(played, [revoking], refund("r1", "o1", "1.00", 2), refund("r2", "o2", "1.00", 3))
    assert played.held(keep) == [] and played.points == 0
    played = more(played, [revoking], order("o3", "1.00", 4))
    assert played.held(keep) == [1] and played.points == 100
