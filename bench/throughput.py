"""P1 and P6: recordOrder over HTTP against `milestones serve`; P3: the admin page."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from bench import processes
from bench.cpu import Meter
from bench.floors import HttpFigures, http_runs

RECORD_ORDER = json.dumps(
    {
        "query": "mutation($input: RecordOrderInput!) { recordOrder(input: $input) {"
        " activity { id } duplicate issuedRewards { id kind } userErrors { code } } }",
        "variables": {
            "input": {"customerExternalId": "c{c}", "orderId": "bench-{n}", "total": "42.50", "currency": "USD"}
        },
    }
)

# The admin SPA's customer list: each customer's figures and where they stand on every rule
# (the milestone-by-milestone view is the customer's own page).
ADMIN_PAGE_QUERY = """
query($first: Int) {
  customers(first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id externalId pointsBalance storeCreditBalance ordersCount totalSpent lastActivityAt
      progress { rule { id name type } value nextThreshold remaining fraction currentStep }
    }
  }
}"""
ADMIN_PAGE = json.dumps({"query": ADMIN_PAGE_QUERY, "variables": {"first": 50}})


def record_order_job(port: int, key: str, customers: int, concurrency: int, seconds: float) -> dict:
    return {
        "host": "127.0.0.1", "port": port, "path": "/graphql", "seconds": seconds, "warmup": min(1.0, seconds / 2),
        "headers": {"Authorization": f"Bearer {key}"}, "body": RECORD_ORDER, "customers": customers,
        "concurrency": concurrency, "expect": '"userErrors":[]',
    }


def record_orders(
    port: int, key: str, customers: int, concurrencies: list[int], seconds: float, runs: int,
    meter: Meter | None = None,
) -> dict[int, HttpFigures]:
    return {
        c: http_runs(record_order_job(port, key, customers, c, seconds), runs, meter) for c in concurrencies
    }


def admin_page_latency(port: int, key: str, seconds: float, runs: int) -> HttpFigures:
    job = {
        "host": "127.0.0.1", "port": port, "path": "/graphql", "seconds": seconds, "warmup": 0.5,
        "headers": {"Authorization": f"Bearer {key}"}, "body": ADMIN_PAGE, "concurrency": 1,
        "expect": '"nodes"',
    }
    return http_runs(job, runs)


async def _count_admin_page_queries(url: str, key: str) -> tuple[dict[int, int], int]:
    """SQL statements an admin page costs (counted on the database client) for 5 and for 50
    customers, and the number of progress rows on the page of 50."""
    import httpx
    from tortoise import connections

    from api import db
    from api.app import create_app
    from api.settings import Settings

    await db.connect(url)
    cls = type(connections.get("default"))
    names = ("execute_query", "execute_query_dict", "execute_insert", "execute_many")
    originals = {name: getattr(cls, name) for name in names}
    seen: list[str] = []

    def counted(original):
        async def run(self, query, *args, **kwargs):
            seen.append(query)
            return await original(self, query, *args, **kwargs)

        return run

    app = create_app(Settings(database_url=url, rate_limit_per_second=0), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    counts: dict[int, int] = {}
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
            for size in (5, 50):
                body = json.dumps({"query": ADMIN_PAGE_QUERY, "variables": {"first": size}})
                await client.post("/graphql", content=body, headers=headers)  # warm caches
                for name, original in originals.items():
                    setattr(cls, name, counted(original))
                seen.clear()
                response = await client.post("/graphql", content=body, headers=headers)
                counts[size] = len(seen)
                for name, original in originals.items():
                    setattr(cls, name, original)
    finally:
        for name, original in originals.items():
            setattr(cls, name, original)
        await db.disconnect()
    nodes = response.json()["data"]["customers"]["nodes"]
    return counts, sum(len(n["progress"]) for n in nodes)


def admin_page_queries(url: str, key: str) -> tuple[dict[int, int], int]:
    return asyncio.run(_count_admin_page_queries(url, key))


def serve(port: int, url: str, workdir: Path, workers: int = 1, cpu: str | None = processes.SERVER_CPU):
    return processes.milestones_server(port, url, workdir, workers, cpu)
