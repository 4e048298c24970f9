"""Real server processes (uvicorn, one worker each) on free local ports, for tests that need
more than one process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _until_healthy(base_url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=1) as client:
        for _ in range(int(seconds / 0.1)):
            if process.poll() is not None:
                raise RuntimeError(f"server at {base_url} exited with {process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get("/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"server at {base_url} did not start")


@contextlib.asynccontextmanager
async def servers(database_url: str, count: int, **env: str) -> AsyncIterator[list[str]]:
    """`count` server processes on `database_url`; yields their base URLs."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SWEEP_INTERVAL_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        **env,
    }
    started: list[subprocess.Popen] = []
    urls: list[str] = []
    try:
        for _ in range(count):
            port = free_port()
            started.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "api.server:app_factory",
                        "--factory",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--loop",
                        "asyncio",
                        "--log-level",
                        "warning",
                    ],
                    cwd=ROOT,
                    env=environment,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        for url, process in zip(urls, started, strict=True):
            await _until_healthy(url, process)
        yield urls
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
