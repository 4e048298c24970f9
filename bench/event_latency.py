"""Reward-event delivery to many subscribers: latency from commit to receipt, and exactness.

    taskset -c 1 .venv/bin/python -m bench.event_latency [--subscribers 200] [--events 300]
        [--rate 20] [--postgres postgres://postgres@127.0.0.1:5432/postgres]

On SQLite one server process serves both the subscribers and the orders. With `--postgres`, a
fresh database gets two server processes: the subscribers listen on one, the orders go to the
other, so every event crosses processes (NOTIFY). Servers run pinned to core 0 (when taskset
exists); run this client on another core. One server process on one core delivered about 4,000
messages a second here (200 subscribers, 20 events/s); beyond what its core holds, latency
grows with the backlog.

Each order goes to a new customer of a shop whose rule rewards the first order, so it commits
exactly one event. Latency is the receipt time less the event's `occurredAt`, which the server
takes inside the writing transaction just before its commit, so it slightly overstates the
time from commit to receipt. Every subscriber must receive every event once, in order.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx
import websockets

from api import db
from bench import processes, scale_out
from bench.shop import make_shop
from engine.core.enums import RuleType
from wire.ids import encode_cursor

SUBSCRIPTION = (
    "subscription($after: String) { rewardEvents(after: $after) { cursor occurredAt data } }"
)
ORDER = "mutation($input: RecordOrderInput!) { recordOrder(input: $input) { userErrors { code } } }"


async def build(url: str) -> str:
    await db.migrate(url)
    await db.connect(url)
    try:
        made = await make_shop([(RuleType.ORDERS_COUNT, 1, 1)], milestones=1)
    finally:
        await db.disconnect()
    return made.admin_key


class Subscriber:
    def __init__(self) -> None:
        self.cursors: list[str] = []
        self.latencies: list[float] = []
        self.ready = asyncio.Event()

    async def run(self, url: str, key: str, expected: int) -> None:
        async with websockets.connect(
            url,
            subprotocols=["graphql-transport-ws"],
            max_queue=None,
            open_timeout=60,
            ping_interval=None,
        ) as ws:
            init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}}
            await ws.send(json.dumps(init))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            payload = {"query": SUBSCRIPTION, "variables": {"after": encode_cursor(0)}}
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            self.ready.set()
            async for raw in ws:
                received = time.time()
                message = json.loads(raw)
                if message["type"] == "ping":
                    await ws.send(json.dumps({"type": "pong"}))
                    continue
                assert message["type"] == "next", message
                event = message["payload"]["data"]["rewardEvents"]
                self.cursors.append(event["cursor"])
                occurred = datetime.fromisoformat(event["occurredAt"]).timestamp()
                self.latencies.append(received - occurred)
                if len(self.cursors) == expected:
                    return


async def record_orders(base_url: str, key: str, count: int, rate: float) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as client:
        started = time.perf_counter()
        for n in range(count):
            variables = {
                "input": {
                    "customerExternalId": f"c{n}",
                    "orderId": f"o{n}",
                    "total": "30.00",
                    "currency": "USD",
                }
            }
            response = await client.post("/graphql", json={"query": ORDER, "variables": variables})
            assert response.json()["data"]["recordOrder"]["userErrors"] == [], response.text
            await asyncio.sleep(max(0.0, started + (n + 1) / rate - time.perf_counter()))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


async def measure(
    listen: str, write: str, key: str, subscribers: int, events: int, rate: float
) -> dict:
    clients = [Subscriber() for _ in range(subscribers)]
    ws_url = listen.replace("http://", "ws://") + "/graphql"
    tasks = []
    for client in clients:
        tasks.append(asyncio.create_task(client.run(ws_url, key, events)))
        await asyncio.sleep(0.002)  # connection storms are another benchmark
    await asyncio.wait_for(asyncio.gather(*(c.ready.wait() for c in clients)), 120)
    await asyncio.sleep(1.0)  # every subscription is live on the server
    await record_orders(write, key, events, rate)
    done, pending = await asyncio.wait(tasks, timeout=60)
    for task in pending:
        task.cancel()
    for task in done:
        task.result()
    expected = [encode_cursor(seq) for seq in range(1, events + 1)]
    exact = sum(client.cursors == expected for client in clients)
    latencies = [value for client in clients for value in client.latencies]
    return {
        "subscribers": subscribers,
        "events": events,
        "rate_per_second": rate,
        "deliveries": len(latencies),
        "subscribers_exact": exact,
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Reward-event delivery latency.")
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--rate", type=float, default=20.0, help="orders (so events) per second")
    parser.add_argument("--postgres", help="a PostgreSQL URL: two server processes on it")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-events-"))
    with contextlib.ExitStack() as stack:
        if args.postgres:
            url = stack.enter_context(scale_out.database(args.postgres))
        else:
            url = f"sqlite://{workdir / 'events.sqlite3'}"
        key = asyncio.run(build(url))
        bases = []
        for _ in range(2 if args.postgres else 1):
            port = processes.free_port()
            stack.enter_context(processes.milestones_server(port, url, workdir))
            bases.append(f"http://127.0.0.1:{port}")
        result = asyncio.run(
            measure(bases[0], bases[-1], key, args.subscribers, args.events, args.rate)
        )
    result["database"] = "postgresql, 2 processes" if args.postgres else "sqlite, 1 process"
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
