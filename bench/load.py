"""The load generator: a lean HTTP/1.1 keep-alive client, run as its own (pinned) process.

`python -m bench.load` reads one JSON job on stdin and prints one JSON result. A general client
(httpx) spends more CPU per request than the server under test; this one writes a prepared
request and reads the response by Content-Length, so the server stays the bottleneck.

Job: {"host", "port", "path", "headers": {..}, "body": "...{n}...{c}...", "customers": N,
"concurrency", "seconds", "warmup", "expect": "substring of a good response"}. `{n}` becomes a
number unique within the job (and `{c}` a customer index, `{n}` modulo `customers`).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time


def _request(job: dict, n: int) -> bytes:
    body = job["body"].replace("{n}", f"{job.get('prefix', '')}{n}")
    if "{c}" in body:
        body = body.replace("{c}", str((n * 7919) % max(1, job.get("customers", 1))))
    data = body.encode()
    head = [f"POST {job['path']} HTTP/1.1", f"Host: {job['host']}:{job['port']}"]
    head += [f"{name}: {value}" for name, value in job.get("headers", {}).items()]
    head += ["Content-Type: application/json", f"Content-Length: {len(data)}", "", ""]
    return "\r\n".join(head).encode() + data


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return status, await reader.readexactly(length)


async def _worker(job: dict, counter, state: dict, latencies: list[float]) -> None:
    reader, writer = await asyncio.open_connection(job["host"], job["port"])
    expect = job.get("expect", "").encode()
    try:
        while not state["stop"]:
            n = next(counter)
            started = time.perf_counter()
            writer.write(_request(job, n))
            status, body = await _read_response(reader)
            elapsed = time.perf_counter() - started
            state["completed"] += 1
            if not state["measuring"]:
                continue
            latencies.append(elapsed)
            if status != 200 or (expect and expect not in body):
                state["errors"] += 1
                if state["errors"] <= 3:
                    state["samples"].append(body[:300].decode(errors="replace"))
    finally:
        writer.close()


async def run(job: dict) -> dict:
    import itertools

    counter = itertools.count(job.get("start", 0))
    state = {"stop": False, "measuring": False, "errors": 0, "samples": [], "completed": 0}
    latencies: list[float] = []
    tasks = [
        asyncio.create_task(_worker(job, counter, state, latencies))
        for _ in range(job["concurrency"])
    ]
    await asyncio.sleep(job.get("warmup", 1.0))
    state["measuring"] = True
    started = time.perf_counter()
    await asyncio.sleep(job["seconds"])
    state["measuring"] = False
    elapsed = time.perf_counter() - started
    state["stop"] = True
    await asyncio.wait(tasks, timeout=30)
    latencies.sort()
    count = len(latencies)

    def pct(p: float) -> float:
        return latencies[min(count - 1, int(p * count))] * 1000 if count else 0.0

    return {
        "requests": count,
        "completed": state["completed"],  # warm-up included: what the server did in all
        "per_second": count / elapsed,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "errors": state["errors"],
        "error_samples": state["samples"],
    }


def main() -> None:
    job = json.loads(sys.stdin.read())
    print(json.dumps(asyncio.run(run(job))))


if __name__ == "__main__":
    main()
