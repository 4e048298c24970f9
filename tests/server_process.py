"""Real `milestones serve` processes for the tests that need several, or a signal."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from websockets.asyncio.client import ClientConnection, connect

COMMAND = str(Path(sys.executable).with_name("milestones"))
ADMIN_KEY = re.compile(r"msk_admin_[A-Za-z0-9_-]+")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServerProcess:
    process: subprocess.Popen
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> list[dict]:
        """The server's JSON log lines so far (anything else it printed is skipped)."""
        lines = []
        for raw in self.log_path.read_text().splitlines():
            with contextlib.suppress(json.JSONDecodeError):
                line = json.loads(raw)
                if isinstance(line, dict):
                    lines.append(line)
        return lines

    def messages(self, message: str) -> list[dict]:
        return [line for line in self.log() if line.get("message") == message]

    async def until_logged(self, message: str, count: int = 1, seconds: float = 30) -> list[dict]:
        for _ in range(int(seconds / 0.05)):
            found = self.messages(message)
            if len(found) >= count:
                return found
            await asyncio.sleep(0.05)
        raise AssertionError(f"{message!r} logged {len(self.messages(message))} of {count} times")

    async def until_ready(self, seconds: float = 60) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as client:
            for _ in range(int(seconds / 0.1)):
                assert self.process.poll() is None, self.log_path.read_text()
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/readyz")).status_code == 200:
                        return
                await asyncio.sleep(0.1)
        raise AssertionError(f"server on {self.port} not ready: {self.log_path.read_text()}")

    def demo_key(self) -> str:
        """The ADMIN key `serve --demo` printed."""
        printed = re.search(r"ADMIN key: (msk_admin_[A-Za-z0-9_-]+)", self.log_path.read_text())
        assert printed, self.log_path.read_text()
        return printed[1]

    def wait_until_ready(self, seconds: float = 60) -> None:
        """`until_ready` for code outside an event loop."""
        with httpx.Client(base_url=self.url, timeout=2) as client:
            for _ in range(int(seconds / 0.1)):
                assert self.process.poll() is None, self.log_path.read_text()
                with contextlib.suppress(httpx.HTTPError):
                    if client.get("/readyz").status_code == 200:
                        return
                time.sleep(0.1)
        raise AssertionError(f"server on {self.port} not ready: {self.log_path.read_text()}")

    def terminate(self, seconds: float = 60) -> int:
        """SIGTERM, as a process manager stops it; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(seconds)


def create_shop(database_url: str, workdir: Path, plan: str = "ADVANCED") -> str:
    """A shop made with the command line; its ADMIN key."""
    result = subprocess.run(
        [COMMAND, "shop", "create", "--name", "Served", "--currency", "USD", "--plan", plan],
        cwd=workdir, env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True, text=True, timeout=60, check=True,
    )
    return ADMIN_KEY.search(result.stdout)[0]


def create_key(database_url: str, workdir: Path, shop: str, role: str) -> str:
    """A key of `shop` (its number or global id) made with the command line."""
    result = subprocess.run(
        [COMMAND, "key", "create", "--shop", shop, "--role", role],
        cwd=workdir, env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True, text=True, timeout=60, check=True,
    )
    return result.stdout.strip()


@contextlib.contextmanager
def serving(
    database_url: str,
    workdir: Path,
    name: str = "server",
    workers: int = 1,
    demo: bool = False,
    **env: str,
) -> Iterator[ServerProcess]:
    """`milestones serve` on a free port (with `demo`, as `tasks.py demo` starts it)."""
    port = free_port()
    log_path = workdir / f"{name}.log"
    environment = {**os.environ, "DATABASE_URL": database_url, **env}
    options = ["--demo"] if demo else []
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [COMMAND, "serve", "--port", str(port), "--workers", str(workers), *options],
            cwd=workdir, env=environment, stdout=log_file, stderr=subprocess.STDOUT,
        )
    server = ServerProcess(process, port, log_path)
    try:
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


def fresh_connections() -> httpx.AsyncClient:
    """A client that opens a connection per request, like many independent callers: a
    server's workers share the requests as they share new connections."""
    return httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_keepalive_connections=0))


async def graphql(
    client: httpx.AsyncClient,
    server: ServerProcess,
    key: str,
    query: str,
    variables: dict | None = None,
) -> dict:
    """The `data` of an operation that must succeed."""
    response = await client.post(
        f"{server.url}/graphql", json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {key}"},
    )
    body = response.json()
    assert response.status_code == 200 and not body.get("errors"), body
    return body["data"]


@contextlib.asynccontextmanager
async def subscription(
    server: ServerProcess, key: str, query: str
) -> AsyncIterator[ClientConnection]:
    """A websocket (graphql-transport-ws) on `server`, subscribed to `query`."""
    url = server.url.replace("http", "ws", 1) + "/graphql"
    async with connect(url, subprotocols=["graphql-transport-ws"]) as ws:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}}
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        yield ws
