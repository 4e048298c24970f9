"""What a refund that names only its order needs to know of that order."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from engine.core.money import from_minor
from engine.store import activities, driver
from models import Shop


@dataclass(frozen=True)
class OrderFacts:
    customer_external_id: str
    total: int  # minor units of the shop's currency
    refunded: int

    @property
    def left(self) -> int:
        return self.total - self.refunded

    def left_as_money(self, currency: str) -> Decimal:
        return from_minor(self.left, currency)


async def order_facts(shop: Shop, order_id: str) -> OrderFacts | None:
    """The recorded order's customer, total and refunded amount; None for an order never
    recorded (a guest's, a test order, or one from before the store was connected)."""
    found = await driver.run(lambda: activities.order_of(shop.id, order_id), label="order")
    if found is None:
        return None
    order, customer_external_id = found
    return OrderFacts(customer_external_id, order.total, order.refunded)
