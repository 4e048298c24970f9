"""updateMilestoneRule: partial patches, milestones kept by id, the history, and refusals."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from engine.services import clock
from engine.services.keys import hash_key
from models import ApiKey
from tests.rule_calls import (
    ACTIVATE,
    ARCHIVE,
    PAUSE,
    RULE,
    UPDATE,
    active_rule,
    call,
    create_rule,
    errors,
    milestone,
    points,
)

HISTORY = """query($id: ID!) { milestoneRule(id: $id) {
  history { totalCount nodes { action apiKeyId changedAt changes } } } }"""


async def update(shop, rule_id: str, **fields) -> dict:
    return await call(shop, UPDATE, id=rule_id, input=fields)


async def read(shop, rule_id: str) -> dict | None:
    return (await shop.gql(RULE, {"id": rule_id}))["milestoneRule"]


async def test_a_partial_patch_keeps_every_other_field(shops):
    shop = await shops()
    rule = await create_rule(
        shop, rewardExpiryDays=30, startsAt="2026-01-01T00:00:00Z", refundPolicy="REVOKE_UNREDEEMED"
    )
    payload = await update(shop, rule["id"], name="Renamed")
    assert payload["userErrors"] == []
    assert payload["rule"] == {**rule, "name": "Renamed"}
    assert await read(shop, rule["id"]) == {**rule, "name": "Renamed"}


async def test_null_clears_an_optional_field(shops):
    shop = await shops()
    rule = await create_rule(shop, rewardExpiryDays=30, endsAt="2027-01-01T00:00:00Z")
    payload = await update(shop, rule["id"], rewardExpiryDays=None, endsAt=None)
    assert (payload["rule"]["rewardExpiryDays"], payload["rule"]["endsAt"]) == (None, None)


async def test_null_is_refused_for_a_required_field(shops):
    shop = await shops()
    rule = await create_rule(shop)
    payload = await update(shop, rule["id"], name=None)
    assert errors(payload) == [(["input", "name"], "INVALID")]
    assert await read(shop, rule["id"]) == rule


async def test_a_patched_window_is_checked_against_the_stored_one(shops):
    shop = await shops()
    rule = await create_rule(shop, startsAt="2026-06-01T00:00:00Z")
    payload = await update(shop, rule["id"], endsAt="2026-05-01T00:00:00Z")
    assert errors(payload) == [(["input", "endsAt"], "INVALID")]


async def test_milestones_named_by_id_are_kept_and_the_others_retired(shops):
    shop = await shops()
    rule = await create_rule(shop)
    five, twenty, thirty = (m["id"] for m in rule["milestones"])
    payload = await update(
        shop,
        rule["id"],
        milestones=[
            {**milestone("10", points(150)), "id": five},
            milestone("15", {"storeCredit": {"amount": "5"}}),
            {**milestone("40"), "id": thirty},
        ],
    )
    assert payload["userErrors"] == []
    milestones = payload["rule"]["milestones"]
    assert [m["threshold"] for m in milestones] == ["10", "15", "40"]
    assert [m["position"] for m in milestones] == [0, 1, 2]
    assert (milestones[0]["id"], milestones[2]["id"]) == (five, thirty)
    assert milestones[1]["id"] not in (five, twenty, thirty)
    assert milestones[0]["reward"] == {"__typename": "PointsReward", "points": 150}
    assert twenty not in [m["id"] for m in (await read(shop, rule["id"]))["milestones"]]


async def test_kept_milestones_may_be_reordered(shops):
    shop = await shops()
    rule = await create_rule(shop, type="MIXED", milestones=[
        milestone("1", stepMetric="ORDERS"), milestone("1", stepMetric="REVIEWS")])
    first, second = (m["id"] for m in rule["milestones"])
    payload = await update(shop, rule["id"], milestones=[
        {**milestone("1", stepMetric="REVIEWS"), "id": second},
        {**milestone("2", stepMetric="ORDERS"), "id": first},
    ])
    assert [(m["id"], m["stepMetric"], m["position"]) for m in payload["rule"]["milestones"]] == [
        (second, "REVIEWS", 0),
        (first, "ORDERS", 1),
    ]


async def test_the_history_records_who_when_and_what(shops):
    shop = await shops()
    key = await ApiKey.get(key_hash=hash_key(await shop.key()))
    with clock.frozen(datetime(2026, 3, 1, 12, 0, tzinfo=UTC)) as move:
        rule = await create_rule(shop, rewardExpiryDays=30)
        move(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
        await update(shop, rule["id"], name="Renamed", rewardExpiryDays=60)
        move(datetime(2026, 3, 3, 8, 0, tzinfo=UTC))
        await call(shop, ACTIVATE, id=rule["id"], past=True)
    history = (await shop.gql(HISTORY, {"id": rule["id"]}))["milestoneRule"]["history"]
    assert history["totalCount"] == 3
    created, updated, activated = history["nodes"]
    assert [n["action"] for n in history["nodes"]] == ["CREATED", "UPDATED", "ACTIVATED"]
    assert {n["apiKeyId"] for n in history["nodes"]} == {f"gid://milestones/ApiKey/{key.id}"}
    assert [n["changedAt"] for n in history["nodes"]] == [
        "2026-03-01T12:00:00+00:00",
        "2026-03-02T09:30:00+00:00",
        "2026-03-03T08:00:00+00:00",
    ]
    assert created["changes"]["name"] == "Loyal customer"
    assert updated["changes"] == {
        "name": {"from": "Loyal customer", "to": "Renamed"},
        "rewardExpiryDays": {"from": 30, "to": 60},
    }
    assert activated["changes"] == {
        "status": {"from": "DRAFT", "to": "ACTIVE"},
        "countPastActivity": True,
    }


async def test_an_update_that_changes_nothing_adds_no_history(shops):
    shop = await shops()
    rule = await create_rule(shop)
    await update(shop, rule["id"], name=rule["name"])
    history = (await shop.gql(HISTORY, {"id": rule["id"]}))["milestoneRule"]["history"]
    assert [n["action"] for n in history["nodes"]] == ["CREATED"]


async def test_an_active_rule_can_be_edited(shops):
    shop = await shops()
    rule = await active_rule(shop)
    payload = await update(shop, rule["id"], name="Still running")
    assert (payload["rule"]["name"], payload["rule"]["status"]) == ("Still running", "ACTIVE")


async def test_the_type_can_change_before_activation(shops):
    shop = await shops()
    rule = await create_rule(shop)
    payload = await update(shop, rule["id"], type="REVIEWS_COUNT")
    assert payload["userErrors"] == []
    assert payload["rule"]["type"] == "REVIEWS_COUNT"


async def test_the_type_is_locked_once_the_rule_has_been_activated(shops):
    shop = await shops()
    rule = await active_rule(shop)
    await call(shop, PAUSE, id=rule["id"])
    payload = await update(shop, rule["id"], type="REVIEWS_COUNT", name="Renamed")
    assert payload["rule"] is None
    assert errors(payload) == [(["input", "type"], "TYPE_LOCKED")]
    assert (await read(shop, rule["id"]))["name"] == "Loyal customer"


async def test_an_archived_rule_cannot_be_changed(shops):
    shop = await shops()
    rule = await create_rule(shop)
    await call(shop, ARCHIVE, id=rule["id"])
    payload = await update(shop, rule["id"], name="Too late")
    assert errors(payload) == [(["id"], "INVALID_STATUS_TRANSITION")]
    assert (await read(shop, rule["id"]))["name"] == "Loyal customer"


async def test_an_invalid_update_writes_nothing(shops):
    shop = await shops()
    rule = await create_rule(shop)
    unordered = [milestone("5"), milestone("5"), milestone("3")]
    payload = await update(shop, rule["id"], name="Renamed", milestones=unordered)
    assert errors(payload) == [
        (["input", "milestones", "1", "threshold"], "THRESHOLDS_NOT_INCREASING"),
        (["input", "milestones", "2", "threshold"], "THRESHOLDS_NOT_INCREASING"),
    ]
    assert await read(shop, rule["id"]) == rule


async def test_updating_an_unknown_rule_is_not_found(shops):
    shop = await shops()
    for bad in ("gid://milestones/MilestoneRule/999999999", "nonsense", "gid://milestones/Shop/1"):
        payload = await update(shop, bad, name="x")
        assert errors(payload) == [(["id"], "NOT_FOUND")]


async def test_updating_another_shops_rule_is_not_found(shops):
    mine, theirs = await shops(), await shops()
    rule = await create_rule(theirs)
    payload = await update(mine, rule["id"], name="Hijacked")
    assert errors(payload) == [(["id"], "NOT_FOUND")]
    assert (await read(theirs, rule["id"]))["name"] == "Loyal customer"


async def test_a_milestone_of_another_rule_is_not_found(shops):
    shop = await shops()
    rule, other = await create_rule(shop), await create_rule(shop, name="Other")
    foreign = other["milestones"][0]["id"]
    payload = await update(
        shop, rule["id"], milestones=[milestone("1"), {**milestone("2"), "id": foreign}]
    )
    assert errors(payload) == [(["input", "milestones", "1", "id"], "NOT_FOUND")]
    assert await read(shop, rule["id"]) == rule
    assert await read(shop, other["id"]) == other


async def test_a_malformed_milestone_id_is_not_found(shops):
    shop = await shops()
    rule = await create_rule(shop)
    payload = await update(shop, rule["id"], milestones=[{**milestone("1"), "id": "garbage"}])
    assert errors(payload) == [(["input", "milestones", "0", "id"], "NOT_FOUND")]


async def test_a_retired_milestone_cannot_be_brought_back_by_id(shops):
    shop = await shops()
    rule = await create_rule(shop)
    retired = rule["milestones"][2]["id"]
    await update(shop, rule["id"], milestones=[milestone("5")])
    payload = await update(shop, rule["id"], milestones=[{**milestone("7"), "id": retired}])
    assert errors(payload) == [(["input", "milestones", "0", "id"], "NOT_FOUND")]


async def test_concurrent_milestone_replacements_apply_one_after_the_other(shops):
    shop = await shops()
    rule = await create_rule(shop)
    kept = rule["milestones"][0]["id"]

    async def replace_second(threshold: str) -> dict:
        return await update(shop, rule["id"], milestones=[
            {**milestone("5"), "id": kept}, milestone(threshold)])

    results = await asyncio.gather(*(replace_second(str(40 + i)) for i in range(8)))
    assert [r["userErrors"] for r in results] == [[]] * 8
    milestones = (await read(shop, rule["id"]))["milestones"]
    assert len(milestones) == 2
    assert milestones[0]["id"] == kept


async def test_a_milestone_listed_twice_is_refused(shops):
    shop = await shops()
    rule = await create_rule(shop)
    same = rule["milestones"][0]["id"]
    payload = await update(shop, rule["id"], milestones=[
        {**milestone("5"), "id": same}, milestone("6"), {**milestone("7"), "id": same}])
    assert errors(payload) == [(["input", "milestones", "2", "id"], "INVALID")]
    assert await read(shop, rule["id"]) == rule
