"""P6: recordOrder against PostgreSQL with two server workers (the scale-out path).

A database of its own is created beside the one `--postgres` names and dropped afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from api import db
from bench import locks, processes, shop, throughput
from bench.cpu import Meter
from bench.floors import HttpFigures


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


async def _admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(_with_database(url, "postgres").replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@contextlib.contextmanager
def database(base_url: str) -> Iterator[str]:
    name = f"milestones_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(base_url, f'CREATE DATABASE "{name}"'))
    try:
        yield _with_database(base_url, name)
    finally:
        asyncio.run(_admin(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _build(url: str, customers: int) -> dict:
    await db.migrate(url)
    await db.connect(url)
    try:
        return await shop.build(customers)
    finally:
        await db.disconnect()


def build(url: str, customers: int) -> dict:
    """The realistic shop on PostgreSQL, built in a process of its own: Tortoise keeps the
    statements it has prepared for one database per process."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    command = [sys.executable, "-m", "bench.scale_out", url, str(customers)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"building the PostgreSQL shop failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@dataclass
class WorkersRun:
    """recordOrder figures for one number of server workers, and the lock waits seen meanwhile."""

    workers: int
    orders: dict[int, HttpFigures]
    waits: dict


def record_orders(base_url: str, workdir: Path, customers: int, concurrencies: list[int], seconds: float,
                  runs: int, workers: list[int]) -> list[WorkersRun]:
    """One shop on a database of its own, served in turn by each number of workers; the server's
    processes and the PostgreSQL processes serving the database are metered, and pg_stat_activity
    is sampled for lock waits while the load runs."""
    done = []
    with database(base_url) as url:
        facts = build(url, customers)
        name = urlsplit(url).path.lstrip("/")
        for count in workers:
            port = processes.free_port()
            # The workers take both cores (PostgreSQL shares them); only the load is pinned.
            with processes.milestones_server(port, url, workdir, workers=count, cpu=None) as server:
                meter = Meter(server.pid, name)
                with locks.sampled(url, name) as waits:
                    orders = throughput.record_orders(
                        port, facts["admin_key"], customers, concurrencies, seconds, runs, meter
                    )
            done.append(WorkersRun(count, orders, waits.as_json()))
    return done


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_build(sys.argv[1], int(sys.argv[2])))))
