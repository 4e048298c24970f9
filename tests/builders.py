"""One-line builders for rules and activity, through the GraphQL API."""

from __future__ import annotations

import itertools
from typing import Any

from tests.support import TestShop

_ids = itertools.count(1)

CREATE_RULE = """
mutation($input: MilestoneRuleInput!) {
  createMilestoneRule(input: $input) { rule { id milestones { id threshold } } userErrors { field code message } }
}"""
ACTIVATE_RULE = """
mutation($id: ID!, $past: Boolean) {
  activateMilestoneRule(id: $id, countPastActivity: $past) { rule { id status } userErrors { field code message } }
}"""

PAYLOAD = """
  activity { id kind externalId }
  duplicate
  customer { id externalId pointsBalance storeCreditBalance ordersCount totalSpent }
  issuedRewards { id kind status code expiresAt reward { __typename
    ... on PointsReward { points } ... on StoreCreditReward { amount }
    ... on FixedDiscountReward { amount } ... on PercentageDiscountReward { percent }
    ... on FreeGiftReward { productId quantity } } milestone { threshold } }
  userErrors { field code message }
"""


def points(n: int) -> dict:
    return {"points": {"points": n}}


def credit(amount: str) -> dict:
    return {"storeCredit": {"amount": amount}}


def gift(product: str = "shirt") -> dict:
    return {"freeGift": {"productId": product}}


def fixed(amount: str) -> dict:
    return {"fixedDiscount": {"amount": amount}}


async def make_rule(
    shop: TestShop,
    type: str,
    milestones: list[tuple[Any, dict]] | list[dict],
    *,
    activate: bool = True,
    past: bool = False,
    **fields: Any,
) -> dict:
    """Create (and by default activate) a rule; returns {"id", "milestones": [...]}."""
    ms = [
        m if isinstance(m, dict) else {"threshold": str(m[0]), "reward": m[1]} for m in milestones
    ]
    data = await shop.gql(
        CREATE_RULE, {"input": {"name": f"{type} rule", "type": type, "milestones": ms, **fields}}
    )
    payload = data["createMilestoneRule"]
    assert payload["userErrors"] == [], payload["userErrors"]
    rule = payload["rule"]
    if activate:
        result = await shop.gql(ACTIVATE_RULE, {"id": rule["id"], "past": past})
        assert result["activateMilestoneRule"]["userErrors"] == [], result
    return rule


async def record(shop: TestShop, mutation: str, input: dict, input_type: str) -> dict:
    query = f"mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ {PAYLOAD} }} }}"
    return (await shop.gql(query, {"input": input}))[mutation]


async def order(shop: TestShop, customer: str, total: str = "10.00", order_id: str | None = None, **extra) -> dict:
    input = {
        "customerExternalId": customer,
        "orderId": order_id or f"order-{next(_ids)}",
        "total": total,
        "currency": extra.pop("currency", "USD"),
        **extra,
    }
    return await record(shop, "recordOrder", input, "RecordOrderInput")


async def refund(shop: TestShop, customer: str, order_id: str, amount: str, refund_id: str | None = None, **extra) -> dict:
    input = {
        "customerExternalId": customer,
        "refundId": refund_id or f"refund-{next(_ids)}",
        "orderId": order_id,
        "amount": amount,
        **extra,
    }
    return await record(shop, "recordRefund", input, "RecordRefundInput")


async def review(shop: TestShop, customer: str, review_id: str | None = None, **extra) -> dict:
    input = {"customerExternalId": customer, "reviewId": review_id or f"review-{next(_ids)}", **extra}
    return await record(shop, "recordReview", input, "RecordReviewInput")


async def referral(shop: TestShop, customer: str, referral_id: str | None = None, **extra) -> dict:
    input = {"customerExternalId": customer, "referralId": referral_id or f"ref-{next(_ids)}", **extra}
    return await record(shop, "recordReferral", input, "RecordReferralInput")


async def billing(shop: TestShop, customer: str, contract: str, billing_id: str | None = None, **extra) -> dict:
    input = {
        "customerExternalId": customer,
        "billingId": billing_id or f"bill-{next(_ids)}",
        "contractId": contract,
        **extra,
    }
    return await record(shop, "recordSubscriptionBilling", input, "RecordSubscriptionBillingInput")


async def cancellation(shop: TestShop, customer: str, contract: str, **extra) -> dict:
    input = {"customerExternalId": customer, "contractId": contract, **extra}
    return await record(
        shop, "recordSubscriptionCancellation", input, "RecordSubscriptionCancellationInput"
    )


async def points_earned(shop: TestShop, customer: str, n: int, entry_id: str | None = None, **extra) -> dict:
    input = {"customerExternalId": customer, "entryId": entry_id or f"entry-{next(_ids)}", "points": n, **extra}
    return await record(shop, "recordPointsEarned", input, "RecordPointsEarnedInput")


async def signup(shop: TestShop, customer: str, **extra) -> dict:
    return await record(shop, "recordSignup", {"customerExternalId": customer, **extra}, "RecordSignupInput")


CUSTOMER = """
query($externalId: String!) {
  customer(externalId: $externalId) {
    id externalId pointsBalance storeCreditBalance ordersCount totalSpent totalRefunded
    rewards(first: 100) { totalCount nodes { id kind status code reward { __typename } milestone { threshold } rule { id } } }
    progress { rule { id type } value nextThreshold remaining fraction currentStep
      milestones { status milestone { threshold } issuedReward { id status } }
      contracts { contractId status cycles } }
  }
}"""


async def customer(shop: TestShop, external_id: str) -> dict:
    return (await shop.gql(CUSTOMER, {"externalId": external_id}))["customer"]


def progress_of(customer_data: dict, rule_id: str) -> dict:
    return next(p for p in customer_data["progress"] if p["rule"]["id"] == rule_id)
