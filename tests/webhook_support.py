"""A real HTTP receiver on 127.0.0.1 for webhook tests, and a worker run for the test's span."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from delivery.hub import hub
from delivery.webhook_worker import WebhookWorker


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers 500 to the first `fail_first` requests, then 200."""

    fail_first: int = 0
    requests: list[Received] = field(default_factory=list)
    answered: list[int] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readline()
            headers: dict[str, str] = {}
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append(Received(headers, body))
            status = 500 if len(self.requests) <= self.fail_first else 200
            self.answered.append(status)
            writer.write(
                f"HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".encode()
            )
            await writer.drain()
        finally:
            writer.close()

    async def until(self, count: int, seconds: float = 10.0) -> list[Received]:
        for _ in range(int(seconds / 0.02)):
            if len(self.requests) >= count:
                return self.requests
            await asyncio.sleep(0.02)
        raise AssertionError(f"{len(self.requests)} of {count} deliveries arrived")


@contextlib.asynccontextmanager
async def receiver(fail_first: int = 0) -> AsyncIterator[Receiver]:
    target = Receiver(fail_first=fail_first)
    server = await asyncio.start_server(target._handle, "127.0.0.1", 0)
    target.port = server.sockets[0].getsockname()[1]
    try:
        yield target
    finally:
        server.close()
        await server.wait_closed()


@contextlib.asynccontextmanager
async def delivering(
    max_attempts: int = 5, public_only: bool = False
) -> AsyncIterator[WebhookWorker]:
    """A delivery worker with quick polls and retries, as the server runs one (in development
    unless `public_only`: the receivers here are on 127.0.0.1)."""
    worker = WebhookWorker(
        hub,
        poll_seconds=0.05,
        max_attempts=max_attempts,
        retry_base_seconds=0.05,
        public_only=public_only,
    )
    worker.start()
    try:
        yield worker
    finally:
        await worker.stop()
