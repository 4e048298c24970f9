"""How long PostgreSQL transactions wait on each other, and on what: `pg_stat_activity` sampled
every few milliseconds while a load runs. Each sample of a backend waiting on a heavyweight lock
stands for one interval of waiting; the waits are grouped by the statement that waits, so a
shop-wide serialization (every order waiting on one row) shows apart from the waits the design
allows (two orders of the same customer).

    python -m bench.locks --postgres URL --seconds N [--like 'milestones_bench_%']

samples every database whose name is LIKE the pattern and prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import asyncpg

INTERVAL = 0.01  # seconds between samples

SAMPLE = """
SELECT a.state, a.wait_event_type, a.wait_event, a.query
FROM pg_stat_activity a
WHERE a.datname LIKE $1 AND a.pid <> pg_backend_pid() AND a.backend_type = 'client backend'
  AND a.state <> 'idle'
"""


def statement_of(query: str) -> str:
    """The first words of a statement and the table it touches: `UPDATE customers`."""
    text = re.sub(r"\s+", " ", query).strip()
    match = re.match(r"(?i)(select .*? from|update|insert into|delete from|with)\s+\"?(\w+)", text)
    if not match:
        return text[:40]
    verb = match.group(1).split()[0].upper()
    return f"{verb} {match.group(2)}"


@dataclass
class Waits:
    samples: int = 0
    busy: int = 0  # backends inside a transaction or a statement, summed over samples
    waiting: Counter[str] = field(default_factory=Counter)  # lock waits by waiting statement
    events: Counter[str] = field(default_factory=Counter)  # lock waits by lock kind
    seconds: float = 0.0

    def as_json(self) -> dict:
        waited = sum(self.waiting.values())
        return {
            "samples": self.samples,
            "seconds": self.seconds,
            "interval_ms": INTERVAL * 1000,
            "busy_backend_samples": self.busy,
            "lock_wait_samples": waited,
            "lock_wait_share": waited / self.busy if self.busy else 0.0,
            "lock_wait_backend_seconds": waited * INTERVAL,
            "by_statement": dict(self.waiting.most_common(8)),
            "by_lock": dict(self.events.most_common(8)),
        }


async def _sample(url: str, like: str, stop: threading.Event, waits: Waits) -> None:
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    started = time.perf_counter()
    try:
        while not stop.is_set():
            rows = await conn.fetch(SAMPLE, like)
            waits.samples += 1
            for row in rows:
                waits.busy += 1
                if row["wait_event_type"] == "Lock":
                    waits.waiting[statement_of(row["query"] or "")] += 1
                    waits.events[row["wait_event"]] += 1
            await asyncio.sleep(INTERVAL)
    finally:
        waits.seconds = time.perf_counter() - started
        await conn.close()


@contextlib.contextmanager
def sampled(url: str, like: str) -> Iterator[Waits]:
    """Sample in a thread of its own until the block ends; the Waits fill in as it runs."""
    waits, stop = Waits(), threading.Event()
    thread = threading.Thread(target=lambda: asyncio.run(_sample(url, like, stop, waits)), daemon=True)
    thread.start()
    try:
        yield waits
    finally:
        stop.set()
        thread.join(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--like", default="milestones_bench_%")
    args = parser.parse_args()
    with sampled(args.postgres, args.like) as waits:
        time.sleep(args.seconds)
    print(json.dumps(waits.as_json()))


if __name__ == "__main__":
    main()
