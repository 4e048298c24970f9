"""P7: previewing a rule over a large recorded history. The history is written straight into
the tables in bulk (not through recording: that path has benches of its own), then the
preview runs in a process of its own so that its peak RSS is its own:

    python -m bench.preview setup --database URL --count N
    python -m bench.preview run --database URL

Each prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from api import db
from engine.core.drafts import MilestoneDraft, RewardDraft, RuleDraft
from engine.core.enums import Plan, RewardKind, RuleType
from engine.services import clock
from engine.store import sql

PER_CUSTOMER = 10  # activities per customer: 9 orders and, for every other customer, a refund


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ladder() -> RuleDraft:
    """An AMOUNT_SPENT ladder of 10 milestones every 100.00, rewards of every cost kind."""
    kinds = [RewardDraft(RewardKind.POINTS, points=100), RewardDraft(RewardKind.STORE_CREDIT, amount=Decimal(5)),
             RewardDraft(RewardKind.FIXED_DISCOUNT, amount=Decimal(10)),
             RewardDraft(RewardKind.PERCENTAGE_DISCOUNT, percent=Decimal(15))]
    return RuleDraft("Spend ladder", RuleType.AMOUNT_SPENT,
                     [MilestoneDraft(Decimal(100 * (n + 1)), kinds[n % 4]) for n in range(10)])


async def _setup(url: str, count: int) -> dict:
    """`count` activities over count/10 customers in the last 400 days: the shop through the
    engine, the rows straight into the tables in bulk with the database's own driver."""
    from engine.services.shops import create_shop

    await db.migrate(url)
    await db.connect(url)
    try:
        started = time.perf_counter()
        shop = await create_shop("Preview bench", "USD", Plan.ADVANCED)
    finally:
        await db.disconnect()
    customers = max(1, count // PER_CUSTOMER)
    if db.is_postgres(url):
        written = await _postgres_rows(url, shop.id, customers, count)
    else:
        written = _sqlite_rows(url, shop.id, customers, count)
    return {"activities": written, "customers": customers, "seconds": time.perf_counter() - started,
            "shop_id": shop.id}


def _rows(shop_id: int, customer_ids: list[int], count: int, as_time) -> Iterator[tuple]:
    """The activity rows: 9 orders per customer and, for every other customer, a partial refund
    of their first order, spread over the last 400 days in customer order."""
    now = clock.now()
    start = now - timedelta(days=400)
    step = timedelta(days=399) / count
    recorded = as_time(now)
    for n in range(count):
        customer, k = divmod(n, PER_CUSTOMER)
        customer_id = customer_ids[customer % len(customer_ids)]
        at = as_time(start + step * n)
        if k == PER_CUSTOMER - 1 and customer % 2 == 0:
            yield shop_id, customer_id, "ORDER_REFUNDED", f"r{n}", "{}", "", at, recorded, 500, f"o{n - k}"
        else:
            yield shop_id, customer_id, "ORDER_PLACED", f"o{n}", "{}", "", at, recorded, 2000 + (n * 37) % 8000, None


_CUSTOMER_COLUMNS = (
    "shop_id, external_id, first_seen_at, last_activity_at, orders_count, total_spent, total_refunded,"
    " reviews_count, referrals_count, points_balance, store_credit_balance"
)
_ACTIVITY_COLUMNS = (
    "shop_id, customer_id, kind, external_id, payload, payload_hash, occurred_at, recorded_at, amount, subject_id"
)


def _sqlite_rows(url: str, shop_id: int, customers: int, count: int) -> int:
    path = url.split("://", 1)[1].split("?", 1)[0]
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA synchronous = OFF")
        seen = sql.sqlite_value(clock.now())
        conn.executemany(
            f"INSERT INTO customers ({_CUSTOMER_COLUMNS}) VALUES (?, ?, ?, ?, 0, 0, 0, 0, 0, 0, 0)",
            ((shop_id, f"p{n}", seen, seen) for n in range(customers)),
        )
        ids = [r[0] for r in conn.execute("SELECT id FROM customers WHERE shop_id = ? ORDER BY id", (shop_id,))]
        # Built once after the rows are in rather than kept up to date row by row: several
        # times faster.
        indexes = [r[0] for r in conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'activities' AND sql IS NOT NULL")]
        for statement in indexes:
            conn.execute("DROP INDEX " + statement.split(" ON ")[0].split()[-1])
        conn.executemany(
            f"INSERT INTO activities ({_ACTIVITY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _rows(shop_id, ids, count, sql.sqlite_value),
        )
        for statement in indexes:
            conn.execute(statement)
        conn.commit()
        return conn.execute("SELECT count(*) FROM activities WHERE shop_id = ?", (shop_id,)).fetchone()[0]
    finally:
        conn.close()


async def _postgres_rows(url: str, shop_id: int, customers: int, count: int) -> int:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        seen = clock.now()
        await conn.copy_records_to_table(
            "customers", columns=_CUSTOMER_COLUMNS.split(", "),
            records=[(shop_id, f"p{n}", seen, seen, 0, 0, 0, 0, 0, 0, 0) for n in range(customers)],
        )
        ids = [r[0] for r in await conn.fetch("SELECT id FROM customers WHERE shop_id = $1 ORDER BY id", shop_id)]
        batch: list[tuple] = []
        for row in _rows(shop_id, ids, count, lambda at: at):
            batch.append(row)
            if len(batch) == 100_000:
                await conn.copy_records_to_table("activities", columns=_ACTIVITY_COLUMNS.split(", "), records=batch)
                batch = []
        if batch:
            await conn.copy_records_to_table("activities", columns=_ACTIVITY_COLUMNS.split(", "), records=batch)
        await conn.execute("ANALYZE customers; ANALYZE activities")
        return await conn.fetchval("SELECT count(*) FROM activities WHERE shop_id = $1", shop_id)
    finally:
        await conn.close()


async def _run(url: str) -> dict:
    from engine.services.preview import preview_rule
    from models import Shop

    await db.connect(url)
    try:
        shop = await Shop.filter(name="Preview bench").order_by("-id").first()
        assert shop is not None, "run setup first"
        rss_before = peak_rss_mb()
        started, cpu = time.perf_counter(), time.process_time()
        result = await preview_rule(shop, draft=ladder())
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        await db.disconnect()
    preview = result.preview
    return {"seconds": seconds, "cpu_seconds": cpu, "rss_mb": peak_rss_mb(), "rss_before_mb": rss_before,
            "activities": result.activities, "customers_with_progress": preview.customers_with_progress,
            "rewards": sum(m.rewards_issued for m in preview.milestones)}


def run(url: str, count: int) -> dict:
    """Fill the database at `url` with `count` activities, then preview a ladder on them, each
    in its own process; the preview's JSON line, with the setup's seconds."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}

    def part(*args: str) -> dict:
        done = subprocess.run([sys.executable, "-m", "bench.preview", *args, "--database", url],
                              capture_output=True, text=True, env=env, timeout=900)
        if done.returncode != 0:
            raise RuntimeError(f"bench.preview {args[0]} failed: {done.stderr[-2000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    setup = part("setup", "--count", str(count))
    measured = part("run")
    return {**measured, "setup_seconds": setup["seconds"]}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.preview")
    parser.add_argument("what", choices=["setup", "run"])
    parser.add_argument("--database", required=True)
    parser.add_argument("--count", type=int, default=1_000_000)
    args = parser.parse_args()
    if args.what == "setup":
        out = asyncio.run(_setup(args.database, args.count))
    else:
        out = asyncio.run(_run(args.database))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
