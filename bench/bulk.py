"""P4: a bulk import through the engine's batch path, and the inactivity sweep over many
customers. Each runs in a process of its own so that its peak RSS is its own:

    python -m bench.bulk import --database URL --count N --seconds CAP
    python -m bench.bulk sweep --database URL --count N

Both print one JSON line. The import stops at the time cap (the row then says how many of the
N it reached and at what rate); the sweep always runs to the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time
from collections.abc import Iterator
from datetime import UTC, timedelta
from decimal import Decimal

from api import db
from engine.core.activities import ActivityInput
from engine.core.enums import ActivityKind, RuleType
from engine.services import clock
from engine.services.importing import import_activities
from engine.services.sweep import run_sweep
from engine.store import sql

BATCH = 1000
SWEEP_RULES = [(RuleType.INACTIVITY, 2, 30)]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def past_orders(count: int, customers: int) -> Iterator[ActivityInput]:
    """`count` past orders spread over `customers` customers and the last 400 days, oldest
    first, made one at a time so that the list never sits in memory."""
    start = clock.now() - timedelta(days=400)
    step = timedelta(days=399) / count
    for n in range(count):
        yield ActivityInput(ActivityKind.ORDER_PLACED, f"imp{n % customers}", f"imp-{n}", start + step * n,
                            amount=Decimal(15 + n % 200), currency="USD")


async def _import(url: str, count: int, cap: float) -> dict:
    from bench.shop import make_shop
    from models import Shop

    await db.migrate(url)
    await db.connect(url)
    try:
        shop = await Shop.first()
        if shop is None:
            shop = (await make_shop()).shop
        done, rejected = 0, 0
        started = time.perf_counter()
        batch: list[ActivityInput] = []
        for item in past_orders(count, max(1, count // 10)):
            batch.append(item)
            if len(batch) == BATCH:
                result = await import_activities(shop, batch)
                done, rejected, batch = done + len(batch), rejected + len(result.rejected), []
                if time.perf_counter() - started > cap:
                    break
        if batch:
            result = await import_activities(shop, batch)
            done, rejected = done + len(batch), rejected + len(result.rejected)
        seconds = time.perf_counter() - started
    finally:
        await db.disconnect()
    return {"count": done, "rejected": rejected, "seconds": seconds, "per_second": done / seconds,
            "rss_mb": peak_rss_mb()}


async def _sweep(url: str, count: int) -> dict:
    """`count` customers (rows as the engine stores them on first sight; SQLite) idle for 0 to
    35 days, and two INACTIVITY rules (30, 60, … and 45, 90, … days): the sweep scans every
    customer for both and grants the 30-day milestone to the seventh idle past it."""
    from bench.shop import make_shop

    await db.migrate(url)
    await db.connect(url)
    try:
        made = await make_shop(SWEEP_RULES)
        now = clock.now()
        conn = sql.current()
        step = timedelta(days=35) / count
        for first in range(0, count, 10_000):
            rows = []
            for n in range(first, min(count, first + 10_000)):
                seen = (now - step * n).astimezone(UTC).isoformat(" ")  # as models/sql.py stores times
                rows.append((made.shop.id, f"idle{n}", seen, seen))
            await conn.execute_many(
                "INSERT INTO customers (shop_id, external_id, first_seen_at, last_activity_at, orders_count,"
                " total_spent, total_refunded, reviews_count, referrals_count, points_balance,"
                " store_credit_balance) VALUES (?, ?, ?, ?, 0, 0, 0, 0, 0, 0, 0)",
                rows,
            )
        rss_before = peak_rss_mb()
        started = time.perf_counter()
        result = await run_sweep(as_of=now)
        seconds = time.perf_counter() - started
    finally:
        await db.disconnect()
    return {"count": count, "granted": result.granted, "scanned": result.customers_scanned,
            "seconds": seconds, "rss_mb": peak_rss_mb(), "rss_before_mb": rss_before}


def run(what: str, path, count: int, seconds: float) -> dict:
    """Run one part in its own process; its JSON line."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    command = [sys.executable, "-m", "bench.bulk", what, "--database", f"sqlite://{path}",
               "--count", str(count), "--seconds", str(seconds)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"bench.bulk {what} failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bulk")
    parser.add_argument("what", choices=["import", "sweep"])
    parser.add_argument("--database", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=120)
    args = parser.parse_args()
    if args.what == "import":
        out = asyncio.run(_import(args.database, args.count, args.seconds))
    else:
        out = asyncio.run(_sweep(args.database, args.count))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
