"""Rule statuses: DRAFT → ACTIVE ⇄ PAUSED, any → ARCHIVED, on a paid plan, in one's own shop."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.core.enums import Plan, Role
from engine.services import clock
from models import MilestoneRule
from tests.rule_calls import ACTIVATE, ARCHIVE, PAUSE, RULE, UPDATE, call, create_rule, errors
from tests.support import GraphQLErrors

MUTATIONS = {"activate": ACTIVATE, "pause": PAUSE, "archive": ARCHIVE}


async def status_of(shop, rule_id: str) -> str:
    return (await shop.gql(RULE, {"id": rule_id}))["milestoneRule"]["status"]


async def rule_in(shop, status: str) -> dict:
    """A rule of `shop` brought to `status` through the API."""
    rule = await create_rule(shop)
    path = {"DRAFT": [], "ACTIVE": [ACTIVATE], "PAUSED": [ACTIVATE, PAUSE], "ARCHIVED": [ARCHIVE]}
    for mutation in path[status]:
        assert (await call(shop, mutation, id=rule["id"]))["userErrors"] == []
    return rule


async def test_activation_sets_the_time_and_stores_count_past_activity(shops):
    shop = await shops()
    rule = await create_rule(shop)
    with clock.frozen(datetime(2026, 4, 1, 10, 0, tzinfo=UTC)):
        payload = await call(shop, ACTIVATE, id=rule["id"], past=True)
    assert payload["userErrors"] == []
    assert (payload["rule"]["status"], payload["rule"]["activatedAt"]) == (
        "ACTIVE",
        "2026-04-01T10:00:00+00:00",
    )
    assert payload["rule"]["countPastActivity"] is True
    stored = await MilestoneRule.get(id=int(rule["id"].rsplit("/", 1)[1]))
    assert (stored.count_past_activity, stored.ever_activated) == (True, True)


@pytest.mark.parametrize("argument", ["", ", countPastActivity: null"], ids=["omitted", "null"])
async def test_activation_does_not_count_past_activity_unless_asked(shops, argument):
    shop = await shops()
    rule = await create_rule(shop)
    data = await shop.gql(
        f"mutation($id: ID!) {{ activateMilestoneRule(id: $id{argument}) "
        "{ rule { status countPastActivity } } }",
        {"id": rule["id"]},
    )
    expected = {"status": "ACTIVE", "countPastActivity": False}
    assert data["activateMilestoneRule"]["rule"] == expected


async def test_pause_then_reactivate(shops):
    shop = await shops(plan=Plan.ENTERPRISE)
    rule = await rule_in(shop, "ACTIVE")
    paused = await call(shop, PAUSE, id=rule["id"])
    assert (paused["rule"]["status"], paused["userErrors"]) == ("PAUSED", [])
    again = await call(shop, ACTIVATE, id=rule["id"])
    assert (again["rule"]["status"], again["userErrors"]) == ("ACTIVE", [])


@pytest.mark.parametrize("status", ["DRAFT", "ACTIVE", "PAUSED"])
async def test_any_live_status_can_be_archived(shops, status):
    shop = await shops()
    rule = await rule_in(shop, status)
    payload = await call(shop, ARCHIVE, id=rule["id"])
    assert (payload["rule"]["status"], payload["userErrors"]) == ("ARCHIVED", [])


async def test_activation_needs_a_paid_plan(shops):
    shop = await shops(plan=Plan.FREE)
    rule = await create_rule(shop)
    payload = await call(shop, ACTIVATE, id=rule["id"])
    assert payload["rule"] is None
    assert errors(payload) == [(["id"], "PLAN_REQUIRED")]
    assert await status_of(shop, rule["id"]) == "DRAFT"
    renamed = await call(shop, UPDATE, id=rule["id"], input={"name": "Still a draft"})
    assert (renamed["rule"]["name"], renamed["userErrors"]) == ("Still a draft", [])


REFUSED = {
    ("activate", "ACTIVE"): "The rule is already active.",
    ("activate", "ARCHIVED"): "An archived rule cannot be activated.",
    ("pause", "DRAFT"): "A draft rule cannot be paused.",
    ("pause", "PAUSED"): "The rule is already paused.",
    ("pause", "ARCHIVED"): "An archived rule cannot be paused.",
    ("archive", "ARCHIVED"): "The rule is already archived.",
}


@pytest.mark.parametrize("action, status", REFUSED, ids=[f"{a} {s}" for a, s in REFUSED])
async def test_a_transition_the_lifecycle_does_not_allow_is_refused_in_a_sentence(shops, action, status):
    shop = await shops()
    rule = await rule_in(shop, status)
    payload = await call(shop, MUTATIONS[action], id=rule["id"])
    assert payload["rule"] is None
    assert payload["userErrors"] == [
        {"field": ["id"], "code": "INVALID_STATUS_TRANSITION", "message": REFUSED[action, status]}
    ]
    assert await status_of(shop, rule["id"]) == status


@pytest.mark.parametrize("action", MUTATIONS)
async def test_an_unknown_rule_id_is_not_found(shops, action):
    shop = await shops()
    for bad in ("gid://milestones/MilestoneRule/999999999", "42", "gid://milestones/Milestone/1"):
        payload = await call(shop, MUTATIONS[action], id=bad)
        assert errors(payload) == [(["id"], "NOT_FOUND")]


@pytest.mark.parametrize("action", MUTATIONS)
async def test_another_shops_rule_is_not_found_and_unchanged(shops, action):
    mine, theirs = await shops(), await shops()
    rule = await rule_in(theirs, "ACTIVE" if action == "pause" else "DRAFT")
    before = await status_of(theirs, rule["id"])
    payload = await call(mine, MUTATIONS[action], id=rule["id"])
    assert errors(payload) == [(["id"], "NOT_FOUND")]
    assert await status_of(theirs, rule["id"]) == before


@pytest.mark.parametrize("action", MUTATIONS)
async def test_only_admins_change_rule_status(shops, action):
    shop = await shops()
    rule = await rule_in(shop, "ACTIVE" if action == "pause" else "DRAFT")
    with pytest.raises(GraphQLErrors) as raised:
        await shop.gql(MUTATIONS[action], {"id": rule["id"]}, role=Role.PARTNER)
    assert raised.value.errors[0]["extensions"]["code"] == "FORBIDDEN"
    assert await status_of(shop, rule["id"]) == ("ACTIVE" if action == "pause" else "DRAFT")
