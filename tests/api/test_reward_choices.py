"""Customer's choice: a milestone offering 2 to 4 rewards, chosen by the customer (through a
partner or the storefront) or, past the deadline, by the sweep; with refunds and validation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from engine.core.enums import Role
from engine.services import clock
from models import RewardEvent
from tests.browser_support import digest
from tests.builders import CREATE_RULE, credit, customer, fixed, make_rule, order, points, refund
from tests.webhook_support import delivering, receiver

CHOOSE = """
mutation($id: ID!, $option: Int!, $customer: String, $digest: String) {
  chooseReward(issuedRewardId: $id, option: $option, customerExternalId: $customer, customerDigest: $digest) {
    issuedReward { id kind status code expiresAt chosenOption
      reward { __typename ... on PointsReward { points } ... on FixedDiscountReward { amount } } }
    userErrors { field code message }
  }
}"""
REWARDS = """
query($externalId: String!) {
  customer(externalId: $externalId) {
    pointsBalance storeCreditBalance
    rewards(first: 10) { nodes { id kind status code choiceExpiresAt chosenOption
      reward { __typename }
      rewardOptions { __typename ... on PointsReward { points } ... on FixedDiscountReward { amount }
        ... on StoreCreditReward { amount } } } }
  }
}"""
SWEEP = "mutation($asOf: DateTime) { runInactivitySweep(asOf: $asOf) { choicesSettled byRule { choicesSettled } } }"
WIDGET_SECRET = "{ shop { widgetSecret } }"

OPTIONS = [points(300), fixed("15.00"), credit("5.00")]


def choice(threshold: str, options: list[dict] = OPTIONS, **extra) -> dict:
    return {"threshold": threshold, "rewardOptions": options, **extra}


async def rewards(shop, external_id: str) -> dict:
    return (await shop.gql(REWARDS, {"externalId": external_id}))["customer"]


async def choose(shop, reward_id: str, option: int, role: Role = Role.PARTNER, **proof) -> dict:
    return (await shop.gql(CHOOSE, {"id": reward_id, "option": option, **proof}, role=role))["chooseReward"]


async def event_types(shop) -> list[str]:
    return [e.type for e in await RewardEvent.filter(shop_id=shop.id).order_by("id")]


async def pending_reward(shop, external_id: str = "cleo", rule_fields=None, **milestone_fields) -> tuple[dict, str]:
    rule = await make_rule(shop, "ORDERS_COUNT", [choice("1", **milestone_fields)], **(rule_fields or {}))
    placed = await order(shop, external_id, "40.00", order_id=f"{external_id}-1")
    [issued] = placed["issuedRewards"]
    assert issued["status"] == "PENDING_CHOICE" and issued["code"] is None
    return rule, issued["id"]


async def test_reaching_a_choice_milestone_offers_its_options_and_issues_nothing(shops):
    shop = await shops()
    await pending_reward(shop)
    data = await rewards(shop, "cleo")
    assert data["pointsBalance"] == 0
    [reward] = data["rewards"]["nodes"]
    assert reward["status"] == "PENDING_CHOICE"
    assert reward["reward"] == {"__typename": "PointsReward"}  # the default, until chosen
    assert reward["rewardOptions"] == [
        {"__typename": "PointsReward", "points": 300},
        {"__typename": "FixedDiscountReward", "amount": "15.00"},
        {"__typename": "StoreCreditReward", "amount": "5.00"},
    ]
    assert reward["choiceExpiresAt"] is None and reward["chosenOption"] is None
    assert await event_types(shop) == ["REWARD_CHOICE_PENDING"]


async def test_a_partner_chooses_points_once_and_they_are_credited(shops):
    shop = await shops()
    _, reward_id = await pending_reward(shop)
    chosen = await choose(shop, reward_id, 0)
    assert chosen["userErrors"] == []
    assert chosen["issuedReward"] == {
        "id": reward_id, "kind": "POINTS", "status": "ISSUED", "code": None, "expiresAt": None,
        "chosenOption": 0, "reward": {"__typename": "PointsReward", "points": 300},
    }
    again = await choose(shop, reward_id, 1)
    assert again["issuedReward"] is None
    assert [(e["field"], e["code"]) for e in again["userErrors"]] == [(["issuedRewardId"], "REWARD_ALREADY_CHOSEN")]
    data = await rewards(shop, "cleo")
    assert data["pointsBalance"] == 300
    assert await event_types(shop) == ["REWARD_CHOICE_PENDING", "REWARD_ISSUED"]


async def test_choosing_a_discount_issues_its_code_with_the_rules_expiry(shops):
    shop = await shops()
    _, reward_id = await pending_reward(shop, rule_fields={"rewardExpiryDays": 10})
    with clock.frozen(datetime(2026, 6, 1, tzinfo=UTC)):
        chosen = (await choose(shop, reward_id, 1))["issuedReward"]
    assert chosen["kind"] == "FIXED_DISCOUNT" and chosen["code"].startswith("MS-")
    assert chosen["expiresAt"] == "2026-06-11T00:00:00+00:00"
    assert chosen["reward"] == {"__typename": "FixedDiscountReward", "amount": "15.00"}
    assert (await rewards(shop, "cleo"))["pointsBalance"] == 0


async def test_the_storefront_chooses_for_the_customer_its_digest_proves(shops):
    shop = await shops()
    _, reward_id = await pending_reward(shop)
    secret = (await shop.gql(WIDGET_SECRET))["shop"]["widgetSecret"]
    wrong = await choose(shop, reward_id, 2, Role.STOREFRONT, customer="cleo", digest="0" * 64)
    assert [(e["field"], e["code"]) for e in wrong["userErrors"]] == [(["customerDigest"], "NOT_FOUND")]
    unproven = await choose(shop, reward_id, 2, Role.STOREFRONT)
    assert [e["code"] for e in unproven["userErrors"]] == ["NOT_FOUND"]
    # Another customer's proof does not reach cleo's reward.
    await order(shop, "otto", "5.00")
    other = await choose(shop, reward_id, 2, Role.STOREFRONT, customer="otto", digest=digest(secret, "otto"))
    assert [(e["field"], e["code"]) for e in other["userErrors"]] == [(["issuedRewardId"], "NOT_FOUND")]
    chosen = await choose(shop, reward_id, 2, Role.STOREFRONT, customer="cleo", digest=digest(secret, "cleo"))
    assert chosen["userErrors"] == [] and chosen["issuedReward"]["kind"] == "STORE_CREDIT"
    assert (await rewards(shop, "cleo"))["storeCreditBalance"] == "5.00"


async def test_another_shops_reward_is_not_found(shops):
    shop, other = await shops(), await shops()
    _, reward_id = await pending_reward(shop)
    answer = await choose(other, reward_id, 0)
    assert [(e["field"], e["code"]) for e in answer["userErrors"]] == [(["issuedRewardId"], "NOT_FOUND")]
    assert (await rewards(shop, "cleo"))["rewards"]["nodes"][0]["status"] == "PENDING_CHOICE"


async def test_a_bad_option_or_a_reward_without_choice_is_refused(shops):
    shop = await shops()
    _, reward_id = await pending_reward(shop)
    for bad in (3, -1):
        answer = await choose(shop, reward_id, bad)
        assert [(e["field"], e["code"]) for e in answer["userErrors"]] == [(["option"], "INVALID")]
    await make_rule(shop, "AMOUNT_SPENT", [(1, points(5))])
    plain = (await order(shop, "cleo", "3.00"))["issuedRewards"][0]
    answer = await choose(shop, plain["id"], 0)
    assert [e["code"] for e in answer["userErrors"]] == ["NOT_A_CHOICE_REWARD"]
    assert (await rewards(shop, "cleo"))["pointsBalance"] == 5


async def test_two_choices_at_once_issue_once(shops):
    shop = await shops()
    _, reward_id = await pending_reward(shop)
    answers = await asyncio.gather(*(choose(shop, reward_id, n % 2) for n in range(6)))
    assert sum(1 for a in answers if a["userErrors"] == []) == 1
    assert all(e["code"] == "REWARD_ALREADY_CHOSEN" for a in answers for e in a["userErrors"])
    data = await rewards(shop, "cleo")
    issued = [e for e in await event_types(shop) if e == "REWARD_ISSUED"]
    assert len(issued) == 1
    assert data["pointsBalance"] in (0, 300)
    assert data["rewards"]["nodes"][0]["kind"] == ("POINTS" if data["pointsBalance"] == 300 else "FIXED_DISCOUNT")


async def test_the_sweep_gives_the_first_option_after_the_choice_expires(shops):
    shop = await shops()
    start = datetime(2026, 3, 1, tzinfo=UTC)
    with clock.frozen(start):
        _, reward_id = await pending_reward(shop, choiceExpiryDays=7)
    [reward] = (await rewards(shop, "cleo"))["rewards"]["nodes"]
    assert reward["choiceExpiresAt"] == "2026-03-08T00:00:00+00:00"
    with clock.frozen(start + timedelta(days=10)):
        early = (await shop.gql(SWEEP, {"asOf": (start + timedelta(days=6)).isoformat()}))["runInactivitySweep"]
        assert early["choicesSettled"] == 0
        due = (await shop.gql(SWEEP, {"asOf": (start + timedelta(days=7)).isoformat()}))["runInactivitySweep"]
        assert due == {"choicesSettled": 1, "byRule": [{"choicesSettled": 1}]}
        again = (await shop.gql(SWEEP, {}))["runInactivitySweep"]
        assert again["choicesSettled"] == 0
        late = await choose(shop, reward_id, 1)
    assert [e["code"] for e in late["userErrors"]] == ["REWARD_ALREADY_CHOSEN"]
    data = await rewards(shop, "cleo")
    assert data["pointsBalance"] == 300
    assert data["rewards"]["nodes"][0] | {"rewardOptions": None} == {
        "id": reward_id, "kind": "POINTS", "status": "ISSUED", "code": None,
        "choiceExpiresAt": "2026-03-08T00:00:00+00:00", "chosenOption": 0,
        "reward": {"__typename": "PointsReward"}, "rewardOptions": None,
    }
    assert await event_types(shop) == ["REWARD_CHOICE_PENDING", "REWARD_ISSUED"]


async def test_a_refund_under_revoke_withdraws_a_pending_choice_and_recrossing_offers_it_again(shops):
    shop = await shops()
    await make_rule(shop, "AMOUNT_SPENT", [choice("50")], refundPolicy="REVOKE_UNREDEEMED")
    placed = await order(shop, "rhea", "60.00", order_id="rhea-1")
    [pending] = placed["issuedRewards"]
    await refund(shop, "rhea", "rhea-1", "20.00")
    data = await rewards(shop, "rhea")
    assert [r["status"] for r in data["rewards"]["nodes"]] == ["REVOKED"]
    assert data["pointsBalance"] == 0
    late = await choose(shop, pending["id"], 0)
    assert [e["code"] for e in late["userErrors"]] == ["REWARD_REVOKED"]
    again = (await order(shop, "rhea", "20.00"))["issuedRewards"]
    assert [r["status"] for r in again] == ["PENDING_CHOICE"]
    assert await event_types(shop) == ["REWARD_CHOICE_PENDING", "REWARD_REVOKED", "REWARD_CHOICE_PENDING"]


async def test_a_refund_under_revoke_takes_back_the_chosen_points(shops):
    shop = await shops()
    await make_rule(shop, "AMOUNT_SPENT", [choice("50")], refundPolicy="REVOKE_UNREDEEMED")
    [pending] = (await order(shop, "rhea", "60.00", order_id="rhea-1"))["issuedRewards"]
    assert (await choose(shop, pending["id"], 0))["userErrors"] == []
    await refund(shop, "rhea", "rhea-1", "20.00")
    data = await rewards(shop, "rhea")
    assert data["pointsBalance"] == 0
    assert [r["status"] for r in data["rewards"]["nodes"]] == ["REVOKED"]


async def test_under_keep_a_refund_leaves_the_choice_open(shops):
    shop = await shops()
    await make_rule(shop, "AMOUNT_SPENT", [choice("50")])
    [pending] = (await order(shop, "kai", "60.00", order_id="kai-1"))["issuedRewards"]
    await refund(shop, "kai", "kai-1", "20.00")
    assert (await choose(shop, pending["id"], 2))["userErrors"] == []
    assert (await rewards(shop, "kai"))["storeCreditBalance"] == "5.00"


async def test_chosen_points_count_toward_points_earned_rules(shops):
    shop = await shops()
    _, reward_id = await pending_reward(shop)
    await make_rule(shop, "POINTS_EARNED", [(200, fixed("7.00"))])
    await choose(shop, reward_id, 0)
    data = await customer(shop, "cleo")
    kinds = sorted(r["kind"] for r in data["rewards"]["nodes"])
    assert kinds == ["FIXED_DISCOUNT", "POINTS"]


async def test_the_rule_shows_its_options(shops):
    shop = await shops()
    rule, _ = await pending_reward(shop, choiceExpiryDays=14)
    data = await shop.gql("""query($id: ID!) { milestoneRule(id: $id) { milestones {
        reward { __typename } choiceExpiryDays
        rewardOptions { __typename ... on PointsReward { points } } } } }""", {"id": rule["id"]})
    assert data["milestoneRule"]["milestones"] == [{
        "reward": {"__typename": "PointsReward"}, "choiceExpiryDays": 14,
        "rewardOptions": [{"__typename": "PointsReward", "points": 300}, {"__typename": "FixedDiscountReward"},
                          {"__typename": "StoreCreditReward"}],
    }]


async def test_invalid_choices_are_refused_with_their_paths_and_nothing_is_written(shops):
    shop = await shops()
    milestones = [
        {"threshold": "1", "reward": points(5), "rewardOptions": OPTIONS},
        {"threshold": "2"},
        choice("3", [points(5)]),
        choice("4", [points(1), points(2), points(3), points(4), points(5)]),
        choice("5", [points(0), fixed("-1")]),
        choice("6", choiceExpiryDays=0),
        {"threshold": "7", "reward": points(5), "choiceExpiryDays": 3},
    ]
    data = await shop.gql(CREATE_RULE, {"input": {"name": "Bad", "type": "ORDERS_COUNT", "milestones": milestones}})
    errors = data["createMilestoneRule"]["userErrors"]
    assert data["createMilestoneRule"]["rule"] is None
    assert [(e["field"], e["code"]) for e in errors] == [
        (["input", "milestones", "0", "rewardOptions"], "INVALID"),
        (["input", "milestones", "1", "reward"], "INVALID"),
        (["input", "milestones", "2", "rewardOptions"], "INVALID"),
        (["input", "milestones", "3", "rewardOptions"], "INVALID"),
        (["input", "milestones", "4", "rewardOptions", "0", "points", "points"], "INVALID"),
        (["input", "milestones", "4", "rewardOptions", "1", "fixedDiscount", "amount"], "INVALID"),
        (["input", "milestones", "5", "choiceExpiryDays"], "INVALID"),
        (["input", "milestones", "6", "choiceExpiryDays"], "INVALID"),
    ]
    assert (await shop.gql("{ milestoneRules(first: 5) { nodes { id } } }"))["milestoneRules"]["nodes"] == []


async def test_rule_stats_count_a_choice_not_made_yet_as_giving_nothing(shops):
    shop = await shops()
    rule, reward_id = await pending_reward(shop)
    stats = """query($id: ID!) { milestoneRule(id: $id) { stats { rewardsIssued pointsIssued storeCreditIssued
        discountFaceValueIssued } } }"""
    before = (await shop.gql(stats, {"id": rule["id"]}))["milestoneRule"]["stats"]
    assert before == {"rewardsIssued": 1, "pointsIssued": "0", "storeCreditIssued": "0.00",
                      "discountFaceValueIssued": "0.00"}
    await choose(shop, reward_id, 0)
    after = (await shop.gql(stats, {"id": rule["id"]}))["milestoneRule"]["stats"]
    assert after["pointsIssued"] == "300"


async def test_the_event_log_tells_a_pending_choice_with_its_options(shops):
    shop = await shops()
    await pending_reward(shop)
    query = """{ rewardEvents(first: 5, types: [REWARD_CHOICE_PENDING]) { nodes { type data } } }"""
    [event] = (await shop.gql(query, role=Role.PARTNER))["rewardEvents"]["nodes"]
    reward = event["data"]["reward"]
    assert (event["type"], reward["status"], reward["kind"]) == ("REWARD_CHOICE_PENDING", "PENDING_CHOICE", "POINTS")
    assert reward["options"] == [
        {"kind": "POINTS", "points": 300},
        {"kind": "FIXED_DISCOUNT", "currency": "USD", "amount": "15.00", "minimumSubtotal": None},
        {"kind": "STORE_CREDIT", "currency": "USD", "amount": "5.00"},
    ]


async def test_editing_a_choice_rule_keeps_its_options_and_can_turn_a_reward_into_a_choice(shops):
    shop = await shops()
    rule = await make_rule(shop, "ORDERS_COUNT", [choice("1", choiceExpiryDays=5), (3, points(9))])
    update = """mutation($id: ID!, $input: MilestoneRuleUpdateInput!) { updateMilestoneRule(id: $id, input: $input) {
        rule { milestones { threshold choiceExpiryDays rewardOptions { __typename } reward { __typename } } }
        userErrors { field code message } } }"""
    renamed = (await shop.gql(update, {"id": rule["id"], "input": {"name": "Renamed"}}))["updateMilestoneRule"]
    assert renamed["userErrors"] == []
    assert renamed["rule"]["milestones"][0]["choiceExpiryDays"] == 5
    assert len(renamed["rule"]["milestones"][0]["rewardOptions"]) == 3
    ids = [m["id"] for m in rule["milestones"]]
    milestones = [{"id": ids[0], "threshold": "1", "reward": points(1)},
                  {"id": ids[1], "threshold": "3", "rewardOptions": [points(9), fixed("2.00")]}]
    changed = (await shop.gql(update, {"id": rule["id"], "input": {"milestones": milestones}}))["updateMilestoneRule"]
    assert changed["userErrors"] == []
    assert [(m["rewardOptions"], m["choiceExpiryDays"]) for m in changed["rule"]["milestones"]] == [
        (None, None), ([{"__typename": "PointsReward"}, {"__typename": "FixedDiscountReward"}], None),
    ]
    await order(shop, "eve")
    await order(shop, "eve")
    third = (await order(shop, "eve"))["issuedRewards"]
    assert [r["status"] for r in third] == ["PENDING_CHOICE"]


async def test_sweeps_at_once_make_each_overdue_choice_once(shops):
    shop = await shops()
    start = datetime(2026, 3, 1, tzinfo=UTC)
    with clock.frozen(start):
        await make_rule(shop, "ORDERS_COUNT", [choice("1", choiceExpiryDays=2)])
        for n in range(5):
            await order(shop, f"many-{n}", "10.00")
    with clock.frozen(start + timedelta(days=3)):
        results = await asyncio.gather(*(shop.gql(SWEEP, {}) for _ in range(3)))
    assert sum(r["runInactivitySweep"]["choicesSettled"] for r in results) == 5
    for n in range(5):
        assert (await rewards(shop, f"many-{n}"))["pointsBalance"] == 300
    assert (await event_types(shop)).count("REWARD_ISSUED") == 5


async def test_a_webhook_endpoint_receives_the_pending_choice_then_the_chosen_reward(shops):
    shop = await shops()
    async with receiver() as target:
        created = await shop.gql(
            'mutation($url: String!) { createWebhookEndpoint(url: $url) { webhookEndpoint { id types } } }',
            {"url": target.url},
        )
        endpoint = created["createWebhookEndpoint"]["webhookEndpoint"]
        assert "REWARD_CHOICE_PENDING" in endpoint["types"]
        _, reward_id = await pending_reward(shop)
        await choose(shop, reward_id, 1)
        async with delivering():
            got = await target.until(2)
    # Gone with its receiver: no later test's worker tries it.
    await shop.gql('mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { userErrors { code } } }', {"id": endpoint["id"]})
    assert [(r.json["type"], r.json["reward"]["status"], r.json["reward"]["kind"]) for r in got] == [
        ("REWARD_CHOICE_PENDING", "PENDING_CHOICE", "POINTS"),
        ("REWARD_ISSUED", "ISSUED", "FIXED_DISCOUNT"),
    ]
    assert [len(r.json["reward"]["options"]) for r in got] == [3, 3]
    assert got[1].json["reward"]["code"].startswith("MS-")


async def test_a_dry_run_counts_the_overdue_choices_and_makes_none(shops):
    shop = await shops()
    _, reward_id = await pending_reward(shop, choiceExpiryDays=3)
    dry = """mutation($asOf: DateTime) { runInactivitySweep(asOf: $asOf, dryRun: true) { dryRun choicesSettled } }"""
    later = (clock.now() + timedelta(days=4)).isoformat()
    assert (await shop.gql(dry, {"asOf": later}))["runInactivitySweep"] == {"dryRun": True, "choicesSettled": 1}
    [reward] = (await rewards(shop, "cleo"))["rewards"]["nodes"]
    assert (reward["id"], reward["status"]) == (reward_id, "PENDING_CHOICE")
