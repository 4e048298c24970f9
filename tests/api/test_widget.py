"""The storefront widget: one customer's view, proven by the store's digest."""

from __future__ import annotations

import re

from api.demo_shopper import DEMO_KEY_ENV, DEMO_SHOPPER
from engine.core.enums import Role
from engine.services.shops import customer_digest
from models import Customer, Shop
from tests.browser_support import WIDGET_DOCUMENT
from tests.builders import CREATE_RULE, customer, fixed, gift, make_rule, order, points, progress_of

WIDGET = """
query($ext: String!, $digest: String!) {
  widget(customerExternalId: $ext, customerDigest: $digest) {
    customerExternalId currency pointsBalance storeCreditBalance
    rewards(first: 10) { totalCount nodes { id status code reward { __typename } } }
    progress {
      rule { id name type }
      value nextThreshold remaining fraction
      milestones { status milestone { threshold description } issuedReward { id code } }
    }
  }
}"""


async def widget(shop, ext: str, digest: str | None = None, role: Role = Role.STOREFRONT) -> dict:
    if digest is None:
        digest = customer_digest(await Shop.get(id=shop.id), ext)
    return await shop.raw(WIDGET, {"ext": ext, "digest": digest}, role=role)


def not_found(body: dict) -> bool:
    return body["data"] == {"widget": None} and [
        (e["extensions"]["code"], e["message"]) for e in body["errors"]
    ] == [("BAD_USER_INPUT", "Customer not found.")]


async def test_widget_shows_balances_rewards_and_progress_of_active_rules(shops):
    shop = await shops()
    rule = await make_rule(shop, "ORDERS_COUNT", [(1, points(50)), (3, fixed("5.00"))])
    await order(shop, "cust-1")
    body = await widget(shop, "cust-1")
    assert "errors" not in body
    view = body["data"]["widget"]
    assert view["customerExternalId"] == "cust-1"
    assert (view["pointsBalance"], view["storeCreditBalance"]) == (50, "0.00")
    assert view["rewards"]["totalCount"] == 1
    assert view["rewards"]["nodes"][0]["reward"]["__typename"] == "PointsReward"
    (progress,) = view["progress"]
    assert progress["rule"]["id"] == rule["id"]
    assert (progress["value"], progress["nextThreshold"], progress["remaining"]) == ("1", "3", "2")
    assert [m["status"] for m in progress["milestones"]] == ["REACHED", "NEXT"]


async def test_widget_progress_is_the_customers_progress(shops):
    shop = await shops()
    rule = await make_rule(shop, "AMOUNT_SPENT", [(100, points(5)), (250, points(9))])
    await order(shop, "cust-1", total="120.00")
    admin_view = progress_of(await customer(shop, "cust-1"), rule["id"])
    (widget_view,) = (await widget(shop, "cust-1"))["data"]["widget"]["progress"]
    for name in ("value", "nextThreshold", "remaining", "fraction"):
        assert widget_view[name] == admin_view[name], name


async def test_widget_never_shows_inactivity_or_rules_that_are_not_active(shops):
    shop = await shops()
    shown = await make_rule(shop, "ORDERS_COUNT", [(2, points(1))])
    await make_rule(shop, "INACTIVITY", [(30, points(1))])
    await make_rule(shop, "ORDERS_COUNT", [(5, points(1))], activate=False)
    await order(shop, "cust-1")
    progress = (await widget(shop, "cust-1"))["data"]["widget"]["progress"]
    assert [p["rule"]["id"] for p in progress] == [shown["id"]]
    admin_types = {p["rule"]["type"] for p in (await customer(shop, "cust-1"))["progress"]}
    assert "INACTIVITY" in admin_types  # admins do see it


async def test_wrong_digest_is_not_found_for_known_and_unknown_customers(shops):
    shop = await shops()
    await order(shop, "cust-1")
    right = customer_digest(shop.shop, "cust-1")
    assert not_found(await widget(shop, "cust-1", "0" * 64))
    assert not_found(await widget(shop, "cust-1", right[:-1]))
    assert not_found(await widget(shop, "nobody", right))


async def test_digest_is_accepted_in_upper_case(shops):
    shop = await shops()
    await order(shop, "cust-1")
    body = await widget(shop, "cust-1", customer_digest(shop.shop, "cust-1").upper())
    assert body["data"]["widget"]["customerExternalId"] == "cust-1"


async def test_hostile_digests_are_not_found_never_internal(shops):
    shop = await shops()
    await order(shop, "cust-1")
    for digest in ("", "é" * 64, "🙂", "x" * 100_000, "0x" + "f" * 62):
        assert not_found(await widget(shop, "cust-1", digest)), digest[:10]


async def test_customer_not_seen_yet_sees_the_rules_to_reach_and_nothing_is_written(shops):
    shop = await shops()
    await make_rule(shop, "ORDERS_COUNT", [(1, points(50)), (3, points(70))])
    view = (await widget(shop, "new-visitor"))["data"]["widget"]
    assert (view["pointsBalance"], view["storeCreditBalance"]) == (0, "0.00")
    assert view["rewards"] == {"totalCount": 0, "nodes": []}
    (progress,) = view["progress"]
    assert (progress["value"], progress["nextThreshold"]) == ("0", "1")
    assert [m["status"] for m in progress["milestones"]] == ["NEXT", "LOCKED"]
    assert await Customer.filter(shop_id=shop.id).count() == 0


async def test_rotating_the_secret_retires_old_digests(shops):
    shop = await shops()
    await order(shop, "cust-1")
    old = customer_digest(await Shop.get(id=shop.id), "cust-1")
    await shop.gql("mutation { rotateWidgetSecret { shop { id } } }")
    assert not_found(await widget(shop, "cust-1", old))
    assert (await widget(shop, "cust-1"))["data"]["widget"]["customerExternalId"] == "cust-1"


async def test_digest_made_with_another_shops_secret_is_not_found(shops):
    mine, theirs = await shops(), await shops()
    await order(theirs, "cust-1")
    await order(mine, "cust-1")
    assert not_found(await widget(mine, "cust-1", customer_digest(theirs.shop, "cust-1")))


async def test_storefront_reads_nothing_but_the_widget(shops):
    shop = await shops()
    await make_rule(shop, "ORDERS_COUNT", [(1, points(50))])
    await order(shop, "cust-1")
    digest = customer_digest(shop.shop, "cust-1")
    forbidden = [
        '{ customer(externalId: "cust-1") { id } }',
        "{ customers { nodes { id } } }",
        "{ milestoneRules { nodes { id } } }",
        "{ shop { widgetSecret } }",
        "{ rewardEvents { nodes { id } } }",
        (
            f'{{ widget(customerExternalId: "cust-1", customerDigest: "{digest}") '
            "{ progress { rule { history { nodes { id changes } } } } } }"
        ),
    ]
    for query in forbidden:
        body = await shop.raw(query, role=Role.STOREFRONT)
        assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}, query
        assert "cust-1" not in str(body["data"]), query


async def test_widget_names_the_shops_currency(shops):
    shop = await shops(currency="EUR")
    view = (await widget(shop, "cust-1"))["data"]["widget"]
    assert view["currency"] == "EUR"


GIFT_TITLE = """
query($ext: String!, $digest: String!) {
  widget(customerExternalId: $ext, customerDigest: $digest) {
    progress { milestones { milestone { reward {
      ... on FreeGiftReward { productId productTitle quantity } } } } }
  }
}"""


async def test_a_free_gift_shows_its_title_to_shoppers(shops):
    shop = await shops()
    titled = {"freeGift": {"productId": "shirt-classic", "productTitle": "  Classic shirt "}}
    await make_rule(shop, "ORDERS_COUNT", [(1, titled), (2, gift("mug"))])
    digest = customer_digest(shop.shop, "cust-1")
    body = await shop.raw(GIFT_TITLE, {"ext": "cust-1", "digest": digest}, role=Role.STOREFRONT)
    (progress,) = body["data"]["widget"]["progress"]
    assert [m["milestone"]["reward"] for m in progress["milestones"]] == [
        {"productId": "shirt-classic", "productTitle": "Classic shirt", "quantity": 1},
        {"productId": "mug", "productTitle": None, "quantity": 1},
    ]


async def test_an_empty_gift_title_is_refused(shops):
    shop = await shops()
    bad = {"freeGift": {"productId": "shirt", "productTitle": "   "}}
    data = await shop.gql(CREATE_RULE, {"input": {
        "name": "Gifts", "type": "ORDERS_COUNT", "milestones": [{"threshold": "1", "reward": bad}],
    }})
    assert data["createMilestoneRule"]["userErrors"] == [{
        "field": ["input", "milestones", "0", "reward", "freeGift", "productTitle"],
        "code": "INVALID",
        "message": "productTitle must be 1 to 255 characters.",
    }]


async def test_the_document_widget_js_sends_runs_for_a_storefront_key(shops):
    shop = await shops()
    await make_rule(shop, "ORDERS_COUNT", [(1, points(50)), (3, fixed("5.00"))])
    await order(shop, "cust-1")
    variables = {"customer": "cust-1", "digest": customer_digest(shop.shop, "cust-1")}
    body = await shop.raw(WIDGET_DOCUMENT, variables, role=Role.STOREFRONT)
    assert "errors" not in body, body
    view = body["data"]["widget"]
    assert (view["currency"], view["pointsBalance"]) == ("USD", 50)
    (progress,) = view["progress"]
    assert (progress["value"], progress["nextThreshold"], progress["remaining"]) == ("1", "3", "2")
    assert [m["milestone"]["reward"] for m in progress["milestones"]] == [
        {"__typename": "PointsReward", "points": 50},
        {"__typename": "FixedDiscountReward", "amount": "5.00", "minimumSubtotal": None},
    ]


async def test_widget_js_is_served_to_be_embedded_anywhere(http):
    response = await http.get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    assert 'customElements.define("milestones-progress"' in response.text
    assert "http" not in re.sub(r"(?m)^ \*.*$", "", response.text)  # loads nothing from elsewhere


async def test_the_demo_page_exists_only_under_serve_demo(http, monkeypatch):
    monkeypatch.delenv(DEMO_KEY_ENV, raising=False)
    assert (await http.get("/widget/demo")).status_code == 404


async def test_the_demo_page_embeds_the_widget_for_the_demo_shopper(http, shops, monkeypatch):
    shop = await shops()
    monkeypatch.setenv(DEMO_KEY_ENV, await shop.key(Role.STOREFRONT))
    response = await http.get("/widget/demo?lang=fr")
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    digest = customer_digest(shop.shop, DEMO_SHOPPER)
    for attribute in (
        'endpoint="http://test/graphql"', f'customer="{DEMO_SHOPPER}"', f'digest="{digest}"',
        'lang="fr"', f'key="{shop.secrets[Role.STOREFRONT]}"',
    ):
        assert attribute in response.text
