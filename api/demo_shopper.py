"""The demo shop's shopper, for the widget's demo page: some progress on every demo rule."""

from __future__ import annotations

import os
from decimal import Decimal

from engine.core.activities import ActivityInput
from engine.core.enums import ActivityKind, Role
from engine.services import keys
from engine.services.recording import record_activity
from models import Customer, Shop

DEMO_SHOPPER = "demo-shopper"
# `milestones serve --demo` hands the demo page's STOREFRONT key to its server processes here.
DEMO_KEY_ENV = "MILESTONES_DEMO_STOREFRONT_KEY"


def _order(number: int) -> ActivityInput:
    return ActivityInput(
        kind=ActivityKind.ORDER_PLACED, customer_external_id=DEMO_SHOPPER,
        external_id=f"demo-order-{number}", amount=Decimal("80.00"), currency="USD",
    )


# In this order: the first order and the review finish two steps of the welcome journey; the
# next two orders count toward its third step. Three orders of $80 each: 3 of 5 orders, $240
# of $500 spent (the $100 milestone's code issued).
DEMO_ACTIVITY = [
    _order(1),
    ActivityInput(
        kind=ActivityKind.REVIEW_POSTED, customer_external_id=DEMO_SHOPPER, external_id="demo-review-1"
    ),
    _order(2),
    _order(3),
]


async def prepare_demo_widget(shop: Shop) -> str:
    """Give the demo shopper their progress (once) and a STOREFRONT key to the demo page's
    server processes; the key."""
    if not await Customer.exists(shop_id=shop.id, external_id=DEMO_SHOPPER):
        for activity in DEMO_ACTIVITY:
            await record_activity(shop, activity)
    secret = (await keys.create_key(shop, Role.STOREFRONT, name="demo widget")).secret
    os.environ[DEMO_KEY_ENV] = secret
    return secret


def demo_page_url(host: str, port: int) -> str:
    return f"http://{host}:{port}/widget/demo"
