"""The README's tour runs as written: its GraphQL blocks, in order, give what the text says."""

from __future__ import annotations

import json
import re
from pathlib import Path

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
TOUR = README[README.index("## A five-minute tour") : README.index("### Connect your store")]
BLOCKS = re.findall(r"```graphql\n(.*?)```", TOUR, flags=re.S)
PLACEHOLDER_ID = re.compile(r'"gid://milestones/MilestoneRule/\d+"')


def test_the_tour_has_its_five_steps():
    assert len(BLOCKS) == 5
    assert PLACEHOLDER_ID.search(BLOCKS[2])


async def test_the_tour_runs_as_written(shops):
    shop = await shops()
    show_shop, create, activate, listing, wrong = BLOCKS

    assert (await shop.gql(show_shop))["shop"] == {
        "name": shop.shop.name, "currency": "USD", "plan": "ADVANCED",
    }

    created = (await shop.gql(create))["createMilestoneRule"]
    assert created["userErrors"] == []
    rule = created["rule"]
    assert (rule["name"], rule["status"]) == ("Loyal customer", "DRAFT")
    assert [m["threshold"] for m in rule["milestones"]] == ["5", "20", "30"]

    activated = (await shop.gql(PLACEHOLDER_ID.sub(f'"{rule["id"]}"', activate)))
    payload = activated["activateMilestoneRule"]
    assert (payload["rule"]["status"], payload["userErrors"]) == ("ACTIVE", [])
    assert payload["rule"]["activatedAt"]

    listed = (await shop.gql(listing))["milestoneRules"]
    assert listed["totalCount"] == 1
    (node,) = listed["nodes"]
    assert (node["id"], node["type"], node["status"]) == (rule["id"], "ORDERS_COUNT", "ACTIVE")
    assert [m["reward"]["__typename"] for m in node["milestones"]] == [
        "PointsReward",
        "PercentageDiscountReward",
        "FreeGiftReward",
    ]
    assert listed["pageInfo"]["hasNextPage"] is False

    refused = (await shop.gql(wrong))["createMilestoneRule"]
    promised = TOUR[TOUR.rindex("```") :]
    codes = re.findall(r"`([A-Z_]+)`", promised)
    fields = [json.loads(f) for f in re.findall(r"`(\[.*?\])`", promised)]
    assert (refused["rule"], len(fields)) == (None, 2)
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
        (codes[0], field) for field in fields
    ]
    after = await shop.gql("{ milestoneRules { totalCount } }")
    assert after["milestoneRules"]["totalCount"] == 1
