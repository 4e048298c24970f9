"""Two server processes on one PostgreSQL: exact figures, events fanned out, one sweep at a time."""

from __future__ import annotations

import asyncio
import itertools
import json
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from api import db
from api.event_listener import asyncpg_dsn
from api.sweeper import SWEEP_LOCK_KEY
from tests.server_process import (
    ServerProcess,
    create_shop,
    fresh_connections,
    graphql,
    serving,
    subscription,
)

ORDERS = 60
RULE = """mutation($input: MilestoneRuleInput!) { createMilestoneRule(input: $input) {
  rule { id } userErrors { code } } }"""
ACTIVATE = "mutation($id: ID!) { activateMilestoneRule(id: $id) { userErrors { code } } }"
ORDER = """mutation($input: RecordOrderInput!) { recordOrder(input: $input) {
  duplicate userErrors { code } } }"""
CUSTOMER = """query($c: String!) { customer(externalId: $c) { ordersCount
  rewards(first: 100) { nodes { rule { type } milestone { threshold } } } } }"""
EVENTS = "{ rewardEvents(first: 100) { totalCount nodes { cursor } } }"
LIVE = "subscription { rewardEvents { customerExternalId } }"
ORDERS_METRIC = "milestones_activities_recorded_total"


@pytest.fixture(autouse=True)
def postgres_only(database_url):
    if not db.is_postgres(database_url):
        pytest.skip("several server processes need PostgreSQL")


# One client for the module's calls: making one per call costs more than the call.
client = fresh_connections()


async def gql(server: ServerProcess, key: str, query: str, variables: dict | None = None) -> dict:
    return await graphql(client, server, key, query, variables)


async def record(server: ServerProcess, key: str, customer: str, order: str, **extra) -> dict:
    input = {"customerExternalId": customer, "orderId": order, "total": "10.00", "currency": "USD"}
    payload = (await gql(server, key, ORDER, {"input": {**input, **extra}}))["recordOrder"]
    assert payload["userErrors"] == [], payload
    return payload


async def make_rule(server: ServerProcess, key: str, type: str, thresholds: range) -> None:
    milestones = [{"threshold": str(t), "reward": {"points": {"points": t}}} for t in thresholds]
    input = {"name": type, "type": type, "milestones": milestones}
    rule = (await gql(server, key, RULE, {"input": input}))["createMilestoneRule"]["rule"]
    assert (await gql(server, key, ACTIVATE, {"id": rule["id"]}))["activateMilestoneRule"] == {
        "userErrors": []
    }


async def orders_counted(server: ServerProcess) -> float:
    body = (await client.get(f"{server.url}/metrics")).text
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            if s.name == ORDERS_METRIC and s.labels == {"kind": "ORDER_PLACED"}:
                return s.value
    return 0.0


async def first_live_event(server: ServerProcess, key: str, ready: asyncio.Event) -> str:
    async with subscription(server, key, LIVE) as ws:
        ready.set()
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == "next":
                return message["payload"]["data"]["rewardEvents"]["customerExternalId"]


def sweep_spans(server: ServerProcess) -> list[tuple[datetime, datetime]]:
    spans = []
    for line in server.messages("sweep finished"):
        end = datetime.fromisoformat(line["ts"])
        spans.append((end - timedelta(milliseconds=line["duration_ms"]), end))
    return spans


async def test_two_processes_keep_figures_exact_fan_out_events_and_sweep_one_at_a_time(
    database_url, tmp_path
):
    key = create_shop(database_url, tmp_path)
    holder = await asyncpg.connect(asyncpg_dsn(database_url))
    assert await holder.fetchval("SELECT pg_try_advisory_lock($1)", SWEEP_LOCK_KEY)
    fast_sweeps = {"SWEEP_INTERVAL_SECONDS": "0.2"}
    try:
        with serving(database_url, tmp_path, "a", **fast_sweeps) as a, \
                serving(database_url, tmp_path, "b", **fast_sweeps) as b:
            await asyncio.gather(a.until_ready(), b.until_ready())

            # While another session holds the lock, neither process sweeps.
            await asyncio.gather(*(s.until_logged("sweep skipped: another process is sweeping")
                                   for s in (a, b)))
            assert a.messages("sweep finished") == b.messages("sweep finished") == []

            await make_rule(a, key, "ORDERS_COUNT", range(1, 11))
            await make_rule(b, key, "INACTIVITY", range(1, 2))

            # Concurrent orders for one customer through both processes, each sent twice.
            servers = itertools.cycle((a, b, b, a))
            results = await asyncio.gather(
                *(record(next(servers), key, "shared", f"o{n % ORDERS}") for n in range(2 * ORDERS))
            )
            assert sum(r["duplicate"] for r in results) == ORDERS
            shared = (await gql(a, key, CUSTOMER, {"c": "shared"}))["customer"]
            assert shared["ordersCount"] == ORDERS
            granted = sorted(int(r["milestone"]["threshold"]) for r in shared["rewards"]["nodes"])
            assert granted == list(range(1, 11))
            log = (await gql(b, key, EVENTS))["rewardEvents"]
            assert log["totalCount"] == 10
            assert await orders_counted(a) + await orders_counted(b) == ORDERS

            # An event committed by one process reaches a subscriber of the other.
            ready = asyncio.Event()
            follower = asyncio.create_task(first_live_event(a, key, ready))
            await ready.wait()
            await record(b, key, "fan", "fan-1")
            assert await asyncio.wait_for(follower, 5) == "fan"

            # Once the lock is free, both processes sweep, never at the same time, and the
            # inactive customer's milestone is granted once.
            three_days_ago = (datetime.now(UTC) - timedelta(days=3)).isoformat()
            await record(a, key, "idle", "idle-1", occurredAt=three_days_ago)
            await holder.execute("SELECT pg_advisory_unlock($1)", SWEEP_LOCK_KEY)
            await asyncio.gather(*(s.until_logged("sweep finished", 3) for s in (a, b)))
            idle = (await gql(a, key, CUSTOMER, {"c": "idle"}))["customer"]["rewards"]["nodes"]
            assert [r["rule"]["type"] for r in idle].count("INACTIVITY") == 1
            spans = sorted(sweep_spans(a) + sweep_spans(b))
            assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(spans))
    finally:
        await holder.close()


async def test_metrics_of_several_workers_add_up_on_any_of_them(database_url, tmp_path):
    key = create_shop(database_url, tmp_path)
    no_sweep = {"SWEEP_INTERVAL_SECONDS": "0"}
    with serving(database_url, tmp_path, "workers", workers=2, **no_sweep) as server:
        await server.until_ready()
        sent = 0
        for _ in range(20):  # until both workers have served orders
            batch = [f"w{n}" for n in range(sent, sent + 10)]
            await asyncio.gather(*(record(server, key, order, order) for order in batch))
            sent += len(batch)
            requests = server.messages("request")
            served_by = {x["pid"] for x in requests if x.get("operation") == "recordOrder"}
            if len(served_by) == 2:
                break
        assert len(served_by) == 2
        # Each scrape is answered by either worker; every answer counts both workers' orders.
        assert [await orders_counted(server) for _ in range(6)] == [float(sent)] * 6



FOLLOW = """subscription { rewardEvents(after: "%s") { cursor customerExternalId data } }"""
CURSORS = """query($after: String) { rewardEvents(first: 100, after: $after) { nodes { cursor } } }"""


async def followed(server: ServerProcess, key: str, after: str, count: int, ready: asyncio.Event) -> list[dict]:
    """The first `count` events a subscriber of `server` receives after the cursor `after`."""
    seen = []
    async with subscription(server, key, FOLLOW % after) as ws:
        ready.set()
        while len(seen) < count:
            message = json.loads(await ws.recv())
            assert message["type"] == "next", message
            seen.append(message["payload"]["data"]["rewardEvents"])
    return seen


async def test_subscribers_of_either_process_see_every_event_once_in_commit_order(database_url, tmp_path):
    """Orders for many customers and for one, sent through two processes at once: each
    subscriber, whichever process it is on, receives every event once, in the log's order."""
    key = create_shop(database_url, tmp_path)
    customers, orders_each, shared_orders = 20, 3, 20
    expected = customers * orders_each + shared_orders  # an ORDERS_COUNT rule of 1 … 20 orders
    with serving(database_url, tmp_path, "a", SWEEP_INTERVAL_SECONDS="0") as a, \
            serving(database_url, tmp_path, "b", SWEEP_INTERVAL_SECONDS="0") as b:
        await asyncio.gather(a.until_ready(), b.until_ready())
        await make_rule(a, key, "ORDERS_COUNT", range(1, 21))
        await record(a, key, "before", "before-1")  # the event both subscribers start after
        start = (await gql(a, key, CURSORS))["rewardEvents"]["nodes"][-1]["cursor"]
        readies = [asyncio.Event(), asyncio.Event()]
        followers = [
            asyncio.create_task(followed(server, key, start, expected, ready))
            for server, ready in zip((a, b), readies, strict=True)
        ]
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 10)

        servers = itertools.cycle((a, b))
        sends = [record(next(servers), key, f"m{c}", f"m{c}-{n}")
                 for c in range(customers) for n in range(orders_each)]
        sends += [record(next(servers), key, "one", f"one-{n}") for n in range(shared_orders)]
        await asyncio.gather(*sends)

        on_a, on_b = await asyncio.wait_for(asyncio.gather(*followers), 30)
        log = [n["cursor"] for n in (await gql(b, key, CURSORS, {"after": start}))["rewardEvents"]["nodes"]]
        assert len(log) == expected
        assert [e["cursor"] for e in on_a] == [e["cursor"] for e in on_b] == log
        reached: dict[str, list[int]] = {}
        for event in on_a:
            reached.setdefault(event["customerExternalId"], []).append(
                int(event["data"]["milestone"]["threshold"])
            )
        assert reached == {**{f"m{c}": [1, 2, 3] for c in range(customers)}, "one": list(range(1, 21))}
