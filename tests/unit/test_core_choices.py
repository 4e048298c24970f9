"""Customer's choice in the core, with no database: reaching the milestone offers its options
and issues nothing; choosing issues the chosen reward once; a refund under REVOKE_UNREDEEMED
withdraws a pending choice; validation names every problem's path."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from engine.core.choices import chosen, is_due
from engine.core.drafts import MilestoneDraft, RewardDraft, RuleDraft, validate_rule
from engine.core.enums import IssuedRewardStatus, RefundPolicy, RewardEventType, RewardKind, RuleType
from engine.core.errors import DomainError
from engine.core.evaluation import decide_choices
from engine.core.rules import Ladder, Milestone, Rule
from tests.unit.core_builders import NOW, context, credit, discount, more, order, play, points, refund, rule

OPTIONS = (points(300), discount("15"), credit(500))


def choice_rule(policy: RefundPolicy = RefundPolicy.KEEP, expiry_days: int | None = None, **extra) -> Rule:
    base = rule(RuleType.AMOUNT_SPENT, [(5000, points(1))], policy=policy, **extra)
    [milestone] = base.ladder.by_position
    offering = replace(milestone, reward=OPTIONS[0], options=OPTIONS, choice_expiry_days=expiry_days)
    return replace(base, ladder=Ladder.of([offering]))


def pending(played, rule_: Rule):
    return next(g for g in played.state.grants if g.rule_id == rule_.id)


def test_reaching_a_choice_milestone_offers_the_options_and_applies_nothing():
    offer = choice_rule(expiry_days=7)
    played = play([offer], order("o1", "60.00", 0))
    [grant] = played.grants
    assert grant.status == IssuedRewardStatus.PENDING_CHOICE
    assert grant.options == OPTIONS and grant.reward == OPTIONS[0]
    assert grant.code is None and grant.expires_at is None
    assert grant.choice_expires_at == NOW + timedelta(days=7)
    assert played.points == 0
    assert [e.type for e in played.decisions[0].events] == [RewardEventType.REWARD_CHOICE_PENDING]


def test_choosing_points_credits_them_and_issues_the_event():
    offer = choice_rule()
    played = play([offer], order("o1", "60.00", 0))
    decision = decide_choices(played.state, [(offer, pending(played, offer), 0, NOW)], [], context())
    [made] = decision.choices
    assert (made.option, made.grant.status, made.grant.reward) == (0, IssuedRewardStatus.ISSUED, points(300))
    assert decision.customer.points == 300
    assert [e.type for e in decision.events] == [RewardEventType.REWARD_ISSUED]


def test_choosing_a_discount_issues_a_code_that_expires_with_the_rule():
    offer = choice_rule(expiry_days=None)
    offer = replace(offer, reward_expiry_days=30)
    played = play([offer], order("o1", "60.00", 0))
    made = chosen(pending(played, offer), 1, offer, NOW, lambda: "MS-CODE")
    assert made.reward.kind == RewardKind.PERCENTAGE_DISCOUNT
    assert (made.code, made.expires_at) == ("MS-CODE", NOW + timedelta(days=30))


@pytest.mark.parametrize("option", [-1, 3])
def test_an_option_out_of_range_is_invalid(option):
    offer = choice_rule()
    played = play([offer], order("o1", "60.00", 0))
    with pytest.raises(DomainError) as refused:
        chosen(pending(played, offer), option, offer, NOW, lambda: "MS-CODE")
    assert [(p.code, p.field) for p in refused.value.problems] == [("INVALID", ("option",))]


def test_a_choice_made_cannot_be_made_again_and_a_plain_reward_offers_none():
    offer = choice_rule()
    played = play([offer], order("o1", "60.00", 0))
    made = chosen(pending(played, offer), 0, offer, NOW, lambda: "MS-CODE")
    with pytest.raises(DomainError) as again:
        chosen(made, 1, offer, NOW, lambda: "MS-CODE")
    assert again.value.problems[0].code == "REWARD_ALREADY_CHOSEN"
    plain = rule(RuleType.ORDERS_COUNT, [(1, points(5))])
    [grant] = play([plain], order("o2", "1.00", 0)).grants
    with pytest.raises(DomainError) as none:
        chosen(grant, 0, plain, NOW, lambda: "MS-CODE")
    assert none.value.problems[0].code == "NOT_A_CHOICE_REWARD"


def test_a_refund_under_revoke_withdraws_a_pending_choice_debiting_nothing():
    offer = choice_rule(RefundPolicy.REVOKE_UNREDEEMED)
    played = play([offer], order("o1", "60.00", 0))
    played = more(played, [offer], refund("r1", "o1", "20.00", 1))
    assert pending(played, offer).status == IssuedRewardStatus.REVOKED
    assert played.points == 0 and played.credit == 0
    with pytest.raises(DomainError) as late:
        chosen(pending(played, offer), 0, offer, NOW, lambda: "MS-CODE")
    assert late.value.problems[0].code == "REWARD_REVOKED"
    again = more(played, [offer], order("o2", "20.00", 2))
    assert [g.status for g in again.grants] == [IssuedRewardStatus.PENDING_CHOICE, IssuedRewardStatus.PENDING_CHOICE]


def test_a_refund_under_keep_leaves_the_choice_open():
    offer = choice_rule()
    played = more(play([offer], order("o1", "60.00", 0)), [offer], refund("r1", "o1", "20.00", 1))
    assert pending(played, offer).status == IssuedRewardStatus.PENDING_CHOICE


def test_chosen_points_count_toward_points_earned_rules_but_not_the_choices_own():
    offer = choice_rule()
    earning = rule(RuleType.POINTS_EARNED, [(200, points(7))])
    played = play([offer, earning], order("o1", "60.00", 0))
    decision = decide_choices(played.state, [(offer, pending(played, offer), 0, NOW)], [earning], context())
    assert [g.rule_id for g in decision.grants] == [earning.id]
    assert decision.customer.points == 307


def test_a_choice_is_due_at_its_deadline_and_only_while_pending():
    offer = choice_rule(expiry_days=3)
    grant = pending(play([offer], order("o1", "60.00", 0)), offer)
    assert not is_due(grant, NOW + timedelta(days=3) - timedelta(microseconds=1))
    assert is_due(grant, NOW + timedelta(days=3))
    assert not is_due(chosen(grant, 0, offer, NOW, lambda: "x"), NOW + timedelta(days=4))
    open_ended = choice_rule()
    assert not is_due(pending(play([open_ended], order("o2", "60.00", 0)), open_ended), NOW + timedelta(days=9999))


def _draft(**milestone) -> RuleDraft:
    return RuleDraft("Choice", RuleType.ORDERS_COUNT, [MilestoneDraft(Decimal(1), **milestone)])


def _problems(draft: RuleDraft) -> list[tuple[str, tuple]]:
    with pytest.raises(DomainError) as refused:
        validate_rule(draft, "USD")
    return [(p.code, p.field) for p in refused.value.problems]


def test_validation_stores_the_options_in_minor_units_with_the_first_as_the_reward():
    options = [RewardDraft(RewardKind.STORE_CREDIT, amount=Decimal("5.50")), RewardDraft(RewardKind.POINTS, points=9)]
    spec = validate_rule(_draft(reward=None, reward_options=options, choice_expiry_days=14), "USD")
    [milestone] = spec.milestones
    assert milestone.reward == {"kind": "STORE_CREDIT", "currency": "USD", "amount": 550}
    assert milestone.reward_options == [milestone.reward, {"kind": "POINTS", "points": 9}]
    assert milestone.choice_expiry_days == 14


def test_validation_names_each_problem_of_a_choice():
    one = RewardDraft(RewardKind.POINTS, points=5)
    bad = RewardDraft(RewardKind.FIXED_DISCOUNT, amount=Decimal("0"))
    path = ("milestones", 0)
    assert _problems(_draft(reward=one, reward_options=[one, one])) == [("INVALID", (*path, "rewardOptions"))]
    assert _problems(_draft(reward=None)) == [("INVALID", (*path, "reward"))]
    assert _problems(_draft(reward=None, reward_options=[one] * 5)) == [("INVALID", (*path, "rewardOptions"))]
    assert _problems(_draft(reward=None, reward_options=[one, bad])) == [
        ("INVALID", (*path, "rewardOptions", 1, "fixedDiscount", "amount"))
    ]
    assert _problems(_draft(reward=None, reward_options=[one, one], choice_expiry_days=3651)) == [
        ("INVALID", (*path, "choiceExpiryDays"))
    ]
    assert _problems(_draft(reward=one, choice_expiry_days=3)) == [("INVALID", (*path, "choiceExpiryDays"))]


def test_a_milestone_with_options_keeps_them_in_its_ladder():
    milestone = Milestone(1, 0, 1, points(1), options=OPTIONS)
    assert Ladder.of([milestone]).by_position[0].options == OPTIONS
