"""How long POST /ingest/shopify takes to answer (Shopify waits 5 s), over HTTP.

    taskset -c 1 .venv/bin/python -m bench.ingest_latency [--webhooks 400]
        [--postgres postgres://postgres@127.0.0.1:5432/postgres]

A `milestones serve` process (pinned to core 0 when taskset exists) serves a shop with the
bench's 20 active rules of every type and a connected Shopify store. Each `orders/create`
webhook is a full order body, signed, for one of 100 customers; then every one is delivered
again (a platform retry). Times are from sending to the whole answer: p50, p99 and max, one
at a time and 16 at once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from api import db
from api.signed_webhook import headers_for
from bench import processes, scale_out
from bench.shop import make_shop
from engine.core.enums import CountOrdersOn, StorePlatform
from engine.services.store_connections import connect_store
from engine.services.store_secrets import SecretBox
from platforms.reading import sign

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "webhooks" / "shopify-orders-create-1.json"
DOMAIN = "bench-store.myshopify.com"
SECRET = "bench-webhook-secret"


async def build(url: str) -> None:
    await db.migrate(url)
    await db.connect(url)
    try:
        made = await make_shop()
        await connect_store(made.shop, StorePlatform.SHOPIFY, DOMAIN, SECRET, CountOrdersOn.CREATED, SecretBox())
    finally:
        await db.disconnect()


def bodies(count: int, first_id: int) -> list[bytes]:
    template = json.loads(SAMPLE.read_text())
    out = []
    for n in range(count):
        order = copy.deepcopy(template)
        order["id"] = first_id + n
        order["customer"]["id"] = 9000 + n % 100
        order["created_at"] = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
        out.append(json.dumps(order).encode())
    return out


async def deliver(client: httpx.AsyncClient, items: list[tuple[str, bytes]], concurrency: int) -> list[float]:
    times: list[float] = []
    queue = list(reversed(items))

    async def worker() -> None:
        while queue:
            webhook_id, body = queue.pop()
            headers = headers_for(StorePlatform.SHOPIFY, "orders/create", DOMAIN, webhook_id, sign(SECRET, body))
            started = time.perf_counter()
            response = await client.post("/ingest/shopify", content=body, headers=headers)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return times


def summary(label: str, times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return f"{label:<38} n={len(ms):<5} p50 {statistics.median(ms):7.1f} ms  p99 {p99:7.1f} ms  max {ms[-1]:7.1f} ms"


async def measure(base_url: str, count: int) -> list[str]:
    lines = []
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        for concurrency, first_id in ((1, 10_000_000), (16, 20_000_000)):
            items = [(f"bench-{first_id + n}", body) for n, body in enumerate(bodies(count, first_id))]
            lines.append(summary(f"new orders, {concurrency} at a time", await deliver(client, items, concurrency)))
            again = await deliver(client, items, concurrency)
            lines.append(summary(f"the same again (retries), {concurrency} at a time", again))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description="Answer time of POST /ingest/shopify.")
    parser.add_argument("--webhooks", type=int, default=400)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL; a fresh database is made beside it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="milestones-ingest-") as tmp, contextlib.ExitStack() as stack:
        workdir = Path(tmp)
        if args.postgres:
            url = stack.enter_context(scale_out.database(args.postgres))
        else:
            url = f"sqlite://{workdir}/ingest.sqlite3"
        asyncio.run(build(url))
        port = processes.free_port()
        stack.enter_context(processes.milestones_server(port, url, workdir))
        print(f"{'PostgreSQL' if args.postgres else 'SQLite'}, one server process, 20 active rules")
        for line in asyncio.run(measure(f"http://127.0.0.1:{port}", args.webhooks)):
            print(line)


if __name__ == "__main__":
    main()
