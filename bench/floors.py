"""The floors: the same stack doing the least possible work, measured in the same run."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from bench import processes
from bench.cpu import Meter
from bench.report import Figure

HELLO = '{"query":"{ hello }"}'
INSERT = '{"query":"mutation($n: String!) { insertRow(note: $n) }","variables":{"n":"{n}"}}'


@dataclass
class HttpFigures:
    per_second: Figure
    p50_ms: Figure
    p99_ms: Figure
    # CPU milliseconds per request, warm-up included, when a meter watched the run: the
    # server's processes, and the PostgreSQL processes serving its database.
    server_cpu_ms: Figure | None = None
    postgres_cpu_ms: Figure | None = None

    @property
    def total_cpu_ms(self) -> Figure | None:
        if self.server_cpu_ms is None:
            return None
        postgres = self.postgres_cpu_ms.runs if self.postgres_cpu_ms else [0.0] * len(self.server_cpu_ms.runs)
        return Figure.of([a + b for a, b in zip(self.server_cpu_ms.runs, postgres, strict=True)])


def http_runs(job: dict, runs: int, meter: Meter | None = None) -> HttpFigures:
    results, cpu = [], []
    for run in range(runs):
        before = meter.sample() if meter else None
        result = processes.load({**job, "prefix": f"r{run}-{time.time_ns()}-"})
        if result["errors"]:
            raise RuntimeError(f"{job['path']}: {result['errors']} bad responses, e.g. {result['error_samples']}")
        if meter and before and result["completed"]:
            used = meter.used(before, meter.sample())
            cpu.append({k: 1000 * v / result["completed"] for k, v in used.items()})
        results.append(result)
    server = Figure.of([c["server"] for c in cpu]) if cpu else None
    postgres = Figure.of([c["postgres"] for c in cpu]) if cpu and meter and meter.database else None
    return HttpFigures(
        Figure.of([r["per_second"] for r in results]),
        Figure.of([r["p50_ms"] for r in results]),
        Figure.of([r["p99_ms"] for r in results]),
        server,
        postgres,
    )


def http_floors(workdir: Path, seconds: float, runs: int, concurrencies: list[int]) -> dict[str, HttpFigures]:
    port = processes.free_port()
    database = f"sqlite://{workdir / 'floor.sqlite3'}"
    floors: dict[str, HttpFigures] = {}
    base = {"host": "127.0.0.1", "port": port, "seconds": seconds, "warmup": min(1.0, seconds / 2)}
    with processes.floor_server(port, database, workdir) as server:
        meter = Meter(server.pid)
        floors["bare"] = http_runs({**base, "path": "/bare", "body": "{}", "concurrency": 16}, runs)
        floors["hello"] = http_runs(
            {**base, "path": "/graphql", "body": HELLO, "concurrency": 16, "expect": '"hello"'}, runs
        )
        for concurrency in concurrencies:
            floors[f"insert c={concurrency}"] = http_runs(
                {**base, "path": "/graphql", "body": INSERT, "concurrency": concurrency,
                 "expect": '"insertRow"'},
                runs,
                meter,
            )
    return floors


async def _aiosqlite_once(path: Path, count: int) -> float:
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=NORMAL")
        await conn.execute("CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, note TEXT)")
        started = time.perf_counter()
        for n in range(count):
            await conn.execute("BEGIN")
            await conn.execute("INSERT INTO rows (note) VALUES (?)", (f"row {n}",))
            await conn.execute("COMMIT")
        return count / (time.perf_counter() - started)


def aiosqlite_floor(workdir: Path, count: int, runs: int) -> Figure:
    """Single-row transactions per second through aiosqlite (WAL, synchronous=NORMAL)."""
    path = workdir / "raw.sqlite3"
    return Figure.of([asyncio.run(_aiosqlite_once(path, count)) for _ in range(runs)])
