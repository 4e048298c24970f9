"""Server and load-generator processes, each pinned to its own core when `taskset` exists."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

SERVER_CPU = "0"
LOAD_CPU = "1"


def pinned(cpu: str, command: list[str]) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", cpu, *command]
    return command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(process: subprocess.Popen, url: str, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        time.sleep(0.1)
    raise RuntimeError(f"server not ready at {url}: {log.read_text()[-2000:]}")


@contextlib.contextmanager
def server(
    command: list[str], ready_path: str, port: int, workdir: Path, env: dict[str, str] | None = None,
    cpu: str | None = SERVER_CPU,
) -> Iterator[subprocess.Popen]:
    """Run a server until the block ends; stderr and stdout go to a log file in `workdir`."""
    log = workdir / f"server-{port}.log"
    full_env = {**os.environ, **(env or {})}
    argv = pinned(cpu, command) if cpu is not None else command
    with open(log, "w") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=full_env, cwd=workdir)
    try:
        _wait_ready(process, f"http://127.0.0.1:{port}{ready_path}", log)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def milestones_server(port: int, database_url: str, workdir: Path, workers: int = 1, cpu: str | None = SERVER_CPU):
    """`milestones serve` as users run it (request log on); the bench turns off the per-key
    rate limit and lifts the per-key cap on subscriptions, since one key sends the whole burst
    and holds every subscriber, and the in-server sweep, which P4 times."""
    command = [str(Path(sys.executable).with_name("milestones")), "serve", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    env = {
        "DATABASE_URL": database_url,
        "RATE_LIMIT_PER_SECOND": "0",
        "MAX_SUBSCRIPTIONS_PER_KEY": "100000",
        "SWEEP_INTERVAL_SECONDS": "0",
    }
    return server(command, "/healthz", port, workdir, env, cpu)


def floor_server(port: int, database_url: str, workdir: Path):
    command = [sys.executable, "-m", "bench.floor_app", "--port", str(port), "--database", database_url]
    env = {"PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    return server(command, "/bare", port, workdir, env)


def load(job: dict) -> dict:
    """Run one load job in a pinned process; its JSON result."""
    command = pinned(LOAD_CPU, [sys.executable, "-m", "bench.load"])
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    done = subprocess.run(
        command, input=json.dumps(job), capture_output=True, text=True, env=env,
        timeout=job["seconds"] + job.get("warmup", 1) + 60,
    )
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)
