"""Rule mutations and queries as the admin SPA sends them, for the rule tests."""

from __future__ import annotations

from typing import Any

from models import MilestoneRule
from tests.support import TestShop

RULE_FIELDS = """
  id name type status startsAt endsAt refundPolicy rewardExpiryDays countPastActivity activatedAt
  milestones {
    id position threshold stepMetric description
    reward {
      __typename
      ... on PointsReward { points }
      ... on StoreCreditReward { amount }
      ... on FixedDiscountReward { amount minimumSubtotal }
      ... on PercentageDiscountReward { percent minimumSubtotal }
      ... on FreeShippingReward { maxShippingAmount }
      ... on FreeGiftReward { productId variantId quantity }
    }
  }
"""

PAYLOAD = "{ rule { " + RULE_FIELDS + " } userErrors { field code message } }"

CREATE = (
    "mutation($input: MilestoneRuleInput!) { createMilestoneRule(input: $input) " + PAYLOAD + " }"
)
UPDATE = (
    "mutation($id: ID!, $input: MilestoneRuleUpdateInput!) "
    "{ updateMilestoneRule(id: $id, input: $input) " + PAYLOAD + " }"
)
ACTIVATE = (
    "mutation($id: ID!, $past: Boolean! = false) "
    "{ activateMilestoneRule(id: $id, countPastActivity: $past) " + PAYLOAD + " }"
)
PAUSE = "mutation($id: ID!) { pauseMilestoneRule(id: $id) " + PAYLOAD + " }"
ARCHIVE = "mutation($id: ID!) { archiveMilestoneRule(id: $id) " + PAYLOAD + " }"
RULE = "query($id: ID!) { milestoneRule(id: $id) { " + RULE_FIELDS + " } }"


def points(n: int) -> dict[str, Any]:
    return {"points": {"points": n}}


def milestone(threshold: str, reward: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"threshold": threshold, "reward": points(10) if reward is None else reward, **extra}


def rule_input(**overrides: Any) -> dict[str, Any]:
    """A valid ORDERS_COUNT rule with milestones at 5, 20 and 30 orders, changed by `overrides`."""
    base = {
        "name": "Loyal customer",
        "type": "ORDERS_COUNT",
        "milestones": [milestone("5", points(100)), milestone("20", points(500)), milestone("30")],
    }
    return {**base, **overrides}


async def create(shop: TestShop, **overrides: Any) -> dict[str, Any]:
    """The whole createMilestoneRule payload."""
    data = await shop.gql(CREATE, {"input": rule_input(**overrides)})
    return data["createMilestoneRule"]


async def create_rule(shop: TestShop, **overrides: Any) -> dict[str, Any]:
    """A created rule; fails the test when the input is refused."""
    payload = await create(shop, **overrides)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["rule"]


async def call(shop: TestShop, mutation: str, **variables: Any) -> dict[str, Any]:
    """The payload of a rule mutation (the only top-level field of the answer)."""
    data = await shop.gql(mutation, variables)
    (payload,) = data.values()
    return payload


async def active_rule(shop: TestShop, **overrides: Any) -> dict[str, Any]:
    rule = await create_rule(shop, **overrides)
    payload = await call(shop, ACTIVATE, id=rule["id"])
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["rule"]


def errors(payload: dict[str, Any]) -> list[tuple[list[str] | None, str]]:
    """The payload's userErrors as (field, code) pairs, in order."""
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


async def rule_count(shop: TestShop) -> int:
    return await MilestoneRule.filter(shop_id=shop.id).count()
