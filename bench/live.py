"""P5: 1,000 websocket subscribers while orders flow, beside a bare Strawberry broadcast.

Every order goes to a new customer of a shop whose one rule grants a reward at the first
order, so each order commits one event that every subscriber receives. Delivery time is the
receipt time less the event's `occurredAt` (taken in the recording transaction, just before
its commit). The floor is the same number of subscribers on `subscription { ticks }`, fed by
`mutation { broadcast }` at the same rate. Beside latency and messages per second, the server's
CPU time (user + system, from `/proc`) over the measured window per message delivered in it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import processes
from bench.report import Figure
from bench.shop import make_shop
from engine.core.enums import RuleType

EVENTS = "subscription { rewardEvents { id cursor type occurredAt customerExternalId } }"
TICKS = "subscription { ticks }"
ORDER = (
    "mutation($input: RecordOrderInput!) { recordOrder(input: $input) { issuedRewards { id } userErrors { code } } }"
)


async def build() -> dict:
    made = await make_shop([(RuleType.ORDERS_COUNT, 1, 1)], milestones=3)
    return {"admin_key": made.admin_key}


def _subscribers(job: dict) -> subprocess.Popen:
    command = processes.pinned(processes.LOAD_CPU, [sys.executable, "-m", "bench.subscribers"])
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    process.stdin.write(json.dumps(job) + "\n")
    process.stdin.flush()
    line = process.stdout.readline().strip()
    if line != "ready":
        process.kill()
        raise RuntimeError(f"subscribers did not connect: {line!r}")
    return process


def _paced(port: int, seconds: float, rate: float, payload, headers: dict) -> None:
    """Send one request every 1/rate seconds for `seconds` (plus a little past the window)."""
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=10) as client:
        started = time.perf_counter()
        n = 0
        while time.perf_counter() - started < seconds + 1.0:
            client.post("/graphql", json=payload(n)).raise_for_status()
            n += 1
            time.sleep(max(0.0, started + n / rate - time.perf_counter()))


@dataclass
class LiveFigures:
    per_second: Figure
    p50_ms: Figure
    p99_ms: Figure
    cpu_us_per_message: Figure | None


def one_run(port: int, server_pid: int, key: str | None, query: str, field: str, count: int, seconds: float,
            rate: float, payload, run: int) -> dict:
    job = {"url": f"ws://127.0.0.1:{port}/graphql", "key": key or "-", "count": count, "query": query,
           "field": field, "seconds": seconds, "server_pid": server_pid}
    process = _subscribers(job)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        _paced(port, seconds, rate, lambda n: payload(run, n), headers)
        out, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    return json.loads(out.strip().splitlines()[-1])


def figures(results: list[dict], seconds: float) -> LiveFigures:
    cpu = [1000 * r["server_cpu_ms"] / r["messages"] for r in results if r.get("server_cpu_ms") and r["messages"]]
    return LiveFigures(
        Figure.of([r["messages"] / seconds for r in results]),
        Figure.of([r["p50_ms"] for r in results]),
        Figure.of([r["p99_ms"] for r in results]),
        Figure.of(cpu) if len(cpu) == len(results) else None,
    )


def floor(workdir: Path, count: int, seconds: float, rate: float, runs: int) -> LiveFigures:
    port = processes.free_port()
    with processes.floor_server(port, f"sqlite://{workdir / 'floor-live.sqlite3'}", workdir) as server:
        results = [
            one_run(port, server.pid, None, TICKS, "ticks", count, seconds, rate,
                    lambda run, n: {"query": "mutation { broadcast }"}, run)
            for run in range(runs)
        ]
    return figures(results, seconds)


def milestones(workdir: Path, url: str, key: str, count: int, seconds: float, rate: float, runs: int) -> LiveFigures:
    def order(run: int, n: int) -> dict:
        return {"query": ORDER, "variables": {"input": {
            "customerExternalId": f"live-{run}-{n}", "orderId": f"live-{run}-{n}",
            "total": "30.00", "currency": "USD"}}}

    port = processes.free_port()
    with processes.milestones_server(port, url, workdir) as server:
        results = [
            one_run(port, server.pid, key, EVENTS, "occurredAt", count, seconds, rate, order, run)
            for run in range(runs)
        ]
    return figures(results, seconds)
