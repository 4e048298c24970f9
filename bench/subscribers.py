"""P5's subscribers: many websocket clients (graphql-transport-ws) in one pinned process.

`python -m bench.subscribers` reads a JSON job on stdin: {"url", "key", "count", "query",
"field", "seconds", "server_pid"}. It opens `count` subscriptions, prints "ready" once all are
acknowledged, then for `seconds` notes, for every message, now minus the time in `field` of the
message's data (an ISO time or epoch seconds), and prints one JSON result line. With
`server_pid`, the line also holds the CPU time the server used over the same window.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import datetime

import websockets

from bench.cpu import cpu_seconds


def _stamp(value) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    return datetime.fromisoformat(value).timestamp()


async def _subscriber(job: dict, ready: asyncio.Event, acked: list, latencies: list, state: dict) -> None:
    async with websockets.connect(job["url"], subprotocols=["graphql-transport-ws"], max_queue=None,
                                  open_timeout=60, ping_interval=None) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {job['key']}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": job["query"]}}))
        acked.append(1)
        if len(acked) == job["count"]:
            ready.set()
        field = job["field"]
        async for raw in ws:
            received = time.time()
            message = json.loads(raw)
            if message.get("type") != "next" or not state["measuring"]:
                continue
            data = message["payload"].get("data") or {}
            item = next(iter(data.values()), None) or {}
            value = item.get(field) if isinstance(item, dict) else item
            if value is not None:
                latencies.append(received - _stamp(value))
            if state["stop"]:
                return


async def run(job: dict) -> dict:
    ready = asyncio.Event()
    acked: list = []
    latencies: list[float] = []
    state = {"measuring": False, "stop": False}
    tasks = []
    for _ in range(job["count"]):
        tasks.append(asyncio.create_task(_subscriber(job, ready, acked, latencies, state)))
        await asyncio.sleep(0.001)  # a connection storm is a different benchmark
    await asyncio.wait_for(ready.wait(), 120)
    print("ready", flush=True)
    await asyncio.sleep(0.5)  # the subscriptions are live on the server side
    server_pid = job.get("server_pid")
    cpu_before = cpu_seconds(server_pid) if server_pid else None
    state["measuring"] = True
    await asyncio.sleep(job["seconds"])
    state["measuring"] = False
    cpu_after = cpu_seconds(server_pid) if server_pid else None
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    latencies.sort()
    n = len(latencies)

    def pct(p: float) -> float:
        return latencies[min(n - 1, int(p * n))] * 1000 if n else 0.0

    server_cpu_ms = None
    if cpu_before is not None and cpu_after is not None:
        server_cpu_ms = (cpu_after - cpu_before) * 1000
    return {"messages": n, "p50_ms": pct(0.5), "p99_ms": pct(0.99), "server_cpu_ms": server_cpu_ms}


def main() -> None:
    job = json.loads(sys.stdin.readline())
    print(json.dumps(asyncio.run(run(job))), flush=True)


if __name__ == "__main__":
    main()
