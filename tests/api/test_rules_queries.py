"""Reading rules: one by id, the paginated list and its filters, shop isolation, keys."""

from __future__ import annotations

from datetime import datetime

import pytest

from engine.core.enums import Role
from engine.services import keys
from models import ApiKey
from tests.rule_calls import ARCHIVE, RULE, active_rule, call, create_rule
from tests.support import GraphQLErrors

LIST = """query($first: Int, $after: String, $status: [MilestoneRuleStatus!],
                 $type: [MilestoneRuleType!]) {
  milestoneRules(first: $first, after: $after, status: $status, type: $type) {
    totalCount
    nodes { id name }
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


async def page(shop, **variables) -> dict:
    return (await shop.gql(LIST, variables))["milestoneRules"]


async def test_a_rule_is_read_by_id(shops):
    shop = await shops()
    rule = await create_rule(shop)
    assert (await shop.gql(RULE, {"id": rule["id"]}))["milestoneRule"] == rule


async def test_an_unknown_id_reads_as_null(shops):
    shop = await shops()
    assert (await shop.gql(RULE, {"id": "gid://milestones/MilestoneRule/999999999"}))["milestoneRule"] is None


@pytest.mark.parametrize("bad", ["garbage", "gid://milestones/Customer/1", "gid://milestones/MilestoneRule/x"])
async def test_an_argument_that_is_not_a_rule_id_is_bad_user_input(shops, bad):
    shop = await shops()
    body = await shop.raw(RULE, {"id": bad})
    assert body["data"] == {"milestoneRule": None}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    assert body["errors"][0]["path"] == ["milestoneRule"]


async def test_pages_follow_each_other_with_cursors(shops):
    shop = await shops()
    created = [(await create_rule(shop, name=f"Rule {i}"))["id"] for i in range(5)]
    first = await page(shop, first=2)
    assert [n["id"] for n in first["nodes"]] == created[:2]
    assert first["totalCount"] == 5
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    assert first["pageInfo"]["startCursor"] == first["edges"][0]["cursor"]
    assert first["pageInfo"]["endCursor"] == first["edges"][1]["cursor"]

    second = await page(shop, first=2, after=first["pageInfo"]["endCursor"])
    assert [n["id"] for n in second["nodes"]] == created[2:4]
    assert second["pageInfo"]["hasNextPage"] is second["pageInfo"]["hasPreviousPage"] is True

    last = await page(shop, first=2, after=second["pageInfo"]["endCursor"])
    assert [n["id"] for n in last["nodes"]] == created[4:]
    assert last["pageInfo"]["hasNextPage"] is False
    assert last["totalCount"] == 5

    beyond = await page(shop, first=2, after=last["pageInfo"]["endCursor"])
    assert beyond["nodes"] == []
    assert beyond["pageInfo"] == {  # an empty page never sends the reader back to the start
        "hasNextPage": False, "hasPreviousPage": True, "startCursor": None,
        "endCursor": last["pageInfo"]["endCursor"],
    }


async def test_the_default_page_is_twenty(shops):
    shop = await shops()
    for i in range(21):
        await create_rule(shop, name=f"Rule {i}")
    listed = await page(shop)
    assert (len(listed["nodes"]), listed["pageInfo"]["hasNextPage"]) == (20, True)


async def test_the_list_filters_by_status_and_type(shops):
    shop = await shops()
    draft = await create_rule(shop, name="Draft orders")
    active = await active_rule(shop, name="Active reviews", type="REVIEWS_COUNT")
    archived = await create_rule(shop, name="Archived orders")
    await call(shop, ARCHIVE, id=archived["id"])

    def ids(result):
        return [n["id"] for n in result["nodes"]]

    assert ids(await page(shop, status=["ACTIVE"])) == [active["id"]]
    assert ids(await page(shop, status=["DRAFT", "ARCHIVED"])) == [draft["id"], archived["id"]]
    assert ids(await page(shop, type=["ORDERS_COUNT"])) == [draft["id"], archived["id"]]
    both = await page(shop, status=["ARCHIVED"], type=["ORDERS_COUNT"])
    assert (ids(both), both["totalCount"]) == ([archived["id"]], 1)
    assert (await page(shop, type=["MIXED"]))["totalCount"] == 0


BAD_PAGES = {
    "first above 100": ({"first": 101}, "first"),
    "negative first": ({"first": -1}, "first"),
    "garbage cursor": ({"after": "garbage!"}, "after"),
    "cursor of another form": ({"after": "Yzp4"}, "after"),
    "empty cursor": ({"after": ""}, "after"),
    "global id as cursor": ({"after": "gid://milestones/MilestoneRule/1"}, "after"),
}


@pytest.mark.parametrize("variables, argument", BAD_PAGES.values(), ids=BAD_PAGES.keys())
async def test_bad_page_arguments_are_refused(shops, variables, argument):
    shop = await shops()
    with pytest.raises(GraphQLErrors) as raised:
        await page(shop, **variables)
    assert raised.value.errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert f"`{argument}`" in raised.value.errors[0]["message"]


async def test_a_page_of_100_is_allowed(shops):
    shop = await shops()
    assert (await page(shop, first=100))["nodes"] == []


async def test_a_shop_never_sees_another_shops_rules(shops):
    mine, theirs = await shops(), await shops()
    own = await create_rule(mine)
    foreign = await active_rule(theirs)
    assert (await mine.gql(RULE, {"id": foreign["id"]}))["milestoneRule"] is None
    listed = await page(mine, first=100)
    assert ([n["id"] for n in listed["nodes"]], listed["totalCount"]) == ([own["id"]], 1)


async def test_partners_read_rules(shops):
    shop = await shops()
    rule = await create_rule(shop)
    data = await shop.gql(RULE, {"id": rule["id"]}, role=Role.PARTNER)
    assert data["milestoneRule"]["id"] == rule["id"]


async def test_storefront_keys_cannot_list_rules(shops):
    shop = await shops()
    with pytest.raises(GraphQLErrors) as raised:
        await shop.gql(LIST, role=Role.STOREFRONT)
    assert raised.value.errors[0]["extensions"]["code"] == "FORBIDDEN"


async def test_partners_cannot_create_rules(shops):
    shop = await shops()
    mutation = 'mutation { createMilestoneRule(input: {name: "x", type: ORDERS_COUNT, ' \
        'milestones: [{threshold: "1", reward: {points: {points: 1}}}]}) { rule { id } } }'
    with pytest.raises(GraphQLErrors) as raised:
        await shop.gql(mutation, role=Role.PARTNER)
    assert raised.value.errors[0]["extensions"]["code"] == "FORBIDDEN"
    assert (await page(shop))["totalCount"] == 0


async def unauthenticated(http, headers: dict) -> dict:
    response = await http.post("/graphql", json={"query": "{ shop { name } }"}, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    return response.json()


async def test_a_missing_key_is_401_with_a_json_body(http):
    body = await unauthenticated(http, {})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert body["errors"][0]["message"] == (
        "Missing API key. Send the header `Authorization: Bearer <key>`."
    )


async def test_a_malformed_authorization_header_is_401(http):
    body = await unauthenticated(http, {"Authorization": "Basic dXNlcjpwYXNz"})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert body["errors"][0]["message"] == (
        "The Authorization scheme `Basic` is not supported: send `Authorization: Bearer <key>`."
    )


async def test_a_key_sent_without_bearer_gets_a_message_naming_the_scheme(shops, http):
    shop = await shops()
    body = await unauthenticated(http, {"Authorization": await shop.key()})
    assert body == {"errors": [{
        "message": "The Authorization header must name the Bearer scheme: "
        "`Authorization: Bearer <key>`.",
        "extensions": {"code": "UNAUTHENTICATED"},
    }]}


async def test_a_request_body_that_is_not_json_gets_the_json_errors_shape(shops, http):
    shop = await shops()
    response = await http.post(
        "/graphql", content=b"{ shop { name } }",
        headers={"Authorization": f"Bearer {await shop.key()}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"errors": [{
        "message": 'The request body is not valid JSON. Send a JSON object such as '
        '{"query": "{ shop { name } }", "variables": {}}.',
        "extensions": {"code": "BAD_REQUEST"},
    }]}


async def test_an_unknown_key_is_401_with_a_json_body(http):
    body = await unauthenticated(http, {"Authorization": "Bearer msk_admin_nosuchkey"})
    assert body["errors"][0]["message"] == "Unknown or revoked API key."


async def test_a_revoked_key_is_401(shops, http):
    shop = await shops()
    new = await keys.create_key(shop.shop, Role.ADMIN)
    headers = {"Authorization": f"Bearer {new.secret}"}
    ok = await http.post("/graphql", json={"query": "{ shop { name } }"}, headers=headers)
    assert ok.status_code == 200
    await keys.revoke_key(shop.shop, new.key.id)
    assert (await ApiKey.get(id=new.key.id)).revoked_at is not None
    body = await unauthenticated(http, headers)
    assert body["errors"][0]["message"] == "Unknown or revoked API key."


async def test_timestamps_are_iso_8601_with_an_offset(shops):
    shop = await shops()
    rule = await active_rule(shop)
    assert datetime.fromisoformat(rule["activatedAt"]).utcoffset() is not None
