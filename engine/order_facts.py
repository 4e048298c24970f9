"""What a refund that names only its order needs to know of that order."""

from __future__ import annotations

from dataclasses import dataclass

from engine.money import from_minor
from models import Shop, sql


@dataclass(frozen=True)
class OrderFacts:
    customer_external_id: str
    total: int  # minor units of the shop's currency
    refunded: int

    @property
    def left(self) -> int:
        return self.total - self.refunded

    def left_as_money(self, currency: str):
        return from_minor(self.left, currency)


async def order_facts(shop: Shop, order_id: str) -> OrderFacts | None:
    """The recorded order's customer, total and refunded amount; None for an order never
    recorded (a guest's, a test order, or one from before the store was connected)."""
    row = await sql.fetch_one(
        sql.current(),
        "SELECT c.external_id, o.total, o.refunded FROM orders o"
        " JOIN customers c ON c.id = o.customer_id"
        " WHERE o.shop_id = $1 AND o.external_id = $2",
        shop.id,
        order_id,
    )
    if row is None:
        return None
    return OrderFacts(str(row["external_id"]), int(row["total"]), int(row["refunded"]))
