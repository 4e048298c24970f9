"""Concurrent orders for one customer: every one counts, no milestone is granted twice."""

import asyncio
import os
import sys
from pathlib import Path

import pytest

from api import db
from tests.builders import customer, make_rule, points, progress_of

ROOT = Path(__file__).resolve().parents[2]


async def test_fifty_orders_from_two_processes_at_once_count_exactly(shops, database_url):
    if not db.is_postgres(database_url):
        pytest.skip("SQLite serves one process; the in-process case is in test_engine_orders")
    shop = await shops()
    rule = await make_rule(shop, "ORDERS_COUNT", [(n, points(n)) for n in (5, 20, 49, 50)])
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.concurrent_orders", database_url, str(shop.id), "zed", prefix, "25",
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for prefix in ("p1", "p2")
    ]
    codes = await asyncio.gather(*(p.wait() for p in procs))
    assert codes == [0, 0]
    data = await customer(shop, "zed")
    assert data["ordersCount"] == 50
    assert progress_of(data, rule["id"])["value"] == "50"
    assert data["rewards"]["totalCount"] == 4
    assert data["pointsBalance"] == 5 + 20 + 49 + 50
