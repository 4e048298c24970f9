"""Connected stores in tests: connect one in a line, and deliver webhooks as the platforms
do, built from the sample payloads in examples/webhooks and signed with the secret."""

from __future__ import annotations

import copy
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from api.signed_webhook import PATHS, headers_for
from engine.core.enums import StorePlatform
from platforms.reading import sign
from tests.support import TestShop

SAMPLES = Path(__file__).resolve().parent.parent / "examples" / "webhooks"
_numbers = itertools.count(1)

CONNECT = """
mutation($input: ConnectStoreInput!) {
  connectStore(input: $input) {
    storeConnection { id platform domain countOrdersOn createdAt lastDeliveryAt }
    userErrors { field code message }
  }
}"""
DELIVERIES = """
query($id: ID!, $first: Int, $after: String) {
  storeConnection(id: $id) {
    lastDeliveryAt
    deliveries(first: $first, after: $after) {
      totalCount
      nodes { receivedAt topic webhookId outcome message activity { id kind externalId } activities { id } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""


def sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / name).read_text())


def unique(prefix: str = "") -> str:
    return f"{prefix}{next(_numbers)}"


def shopify_order(
    order_id: int | str, customer_id: int | str | None, total: str = "10.00", **changes: Any
) -> dict[str, Any]:
    """The sample orders/create body for another order, customer and total."""
    order = copy.deepcopy(sample("shopify-orders-create-1.json"))
    order.update(id=order_id, total_price=total, current_total_price=total)
    order["admin_graphql_api_id"] = f"gid://shopify/Order/{order_id}"
    if customer_id is None:
        order["customer"] = None
    else:
        order["customer"]["id"] = customer_id
        order["customer"]["admin_graphql_api_id"] = f"gid://shopify/Customer/{customer_id}"
    order.update(changes)
    return order


def shopify_refund(refund_id: int | str, order_id: int | str, *amounts: tuple[str, str]) -> dict:
    """The sample refunds/create body with one transaction per (amount, status)."""
    refund = copy.deepcopy(sample("shopify-refunds-create.json"))
    template = refund["transactions"][-1]
    refund.update(id=refund_id, order_id=order_id)
    refund["transactions"] = [
        {**template, "id": int(unique("70")), "order_id": order_id, "amount": amount, "status": status}
        for amount, status in amounts
    ]
    return refund


def woo_order(order_id: int, customer_id: int, status: str, total: str = "43.16", refunds=()) -> dict:
    order = copy.deepcopy(sample("woocommerce-order-processing.json"))
    order.update(id=order_id, number=str(order_id), customer_id=customer_id, status=status, total=total)
    order["refunds"] = [{"id": rid, "reason": "", "total": f"-{amount}"} for rid, amount in refunds]
    return order


@dataclass
class Store:
    """A connected store of a test shop: what the platform knows (domain, secret)."""

    shop: TestShop
    platform: StorePlatform
    domain: str
    secret: str
    id: str

    async def send(
        self,
        topic: str,
        payload: dict | bytes,
        *,
        webhook_id: str | None = None,
        signature: str | None = None,
        domain: str | None = None,
        headers: dict[str, str] | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> httpx.Response:
        """POST the body as the platform would, signed unless `signature` says otherwise."""
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        sent = headers_for(
            self.platform,
            topic,
            domain or self.domain,
            webhook_id or unique("delivery-"),
            sign(self.secret, body) if signature is None else signature,
        )
        sent = {k: v for k, v in {**sent, **(headers or {})}.items() if v is not None}
        return await (http or self.shop.http).post(
            PATHS[self.platform], content=body, headers={"Content-Type": "application/json", **sent}
        )

    async def deliver(self, topic: str, payload: dict | bytes, **options: Any) -> dict:
        """Send and expect 200; the answer's JSON."""
        response = await self.send(topic, payload, **options)
        assert response.status_code == 200, response.text
        return response.json()

    async def deliveries(self, first: int | None = 20, after: str | None = None) -> dict:
        data = await self.shop.gql(DELIVERIES, {"id": self.id, "first": first, "after": after})
        return data["storeConnection"]["deliveries"]


async def connect(
    shop: TestShop,
    platform: StorePlatform = StorePlatform.SHOPIFY,
    *,
    domain: str | None = None,
    secret: str | None = None,
    count_orders_on: str = "CREATED",
) -> Store:
    if domain is None:
        domain = unique("store-") + (
            ".myshopify.com" if platform == StorePlatform.SHOPIFY else ".example.com"
        )
    secret = secret or unique("shpss_test_secret_")
    payload = (
        await shop.gql(
            CONNECT,
            {"input": {"platform": platform.value, "domain": domain, "secret": secret,
                       "countOrdersOn": count_orders_on}},
        )
    )["connectStore"]
    assert payload["userErrors"] == [], payload["userErrors"]
    connection = payload["storeConnection"]
    return Store(shop, platform, connection["domain"], secret, connection["id"])
