"""Run by the concurrency test in separate processes: record orders for one customer at once.

    python -m tests.concurrent_orders DATABASE_URL SHOP_ID CUSTOMER PREFIX COUNT
"""

import asyncio
import sys
from decimal import Decimal

from api import db
from engine.core.activities import ActivityInput
from engine.core.enums import ActivityKind
from engine.services.recording import record_activity
from models import Shop


async def main(url: str, shop_id: int, customer: str, prefix: str, count: int) -> None:
    await db.connect(url)
    try:
        shop = await Shop.get(id=shop_id)
        orders = [
            ActivityInput(ActivityKind.ORDER_PLACED, customer, f"{prefix}-{n}", amount=Decimal("1.00"), currency="USD")
            for n in range(count)
        ]
        await asyncio.gather(*(record_activity(shop, o) for o in orders))
    finally:
        await db.disconnect()


if __name__ == "__main__":
    url, shop_id, customer, prefix, count = sys.argv[1:]
    asyncio.run(main(url, int(shop_id), customer, prefix, int(count)))
