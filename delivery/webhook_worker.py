"""Delivering reward events to webhook endpoints: signed POSTs, in order, at least once.

Each process runs one worker. It wakes on every commit it hears of (and every
`WEBHOOK_POLL_SECONDS` regardless, for retries), takes the lease of each endpoint that has
events after its cursor, and posts them one by one; the cursor moves only after a 2xx.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from datetime import timedelta
from functools import partial

import httpx
from tortoise.transactions import in_transaction

from api.public_network import delivery_transport
from delivery import webhooks
from delivery.hub import EventHub, read_after
from engine.services import clock, telemetry
from models import RewardEvent, Shop, WebhookEndpoint
from wire import reward_event

log = logging.getLogger("milestones.webhooks")
LEASE = timedelta(seconds=60)
BATCH = 50
MIN_ROUND_SECONDS = 0.02
USER_AGENT = "Milestones-Webhooks/1"


class WebhookWorker:
    def __init__(
        self,
        hub: EventHub,
        *,
        poll_seconds: float,
        max_attempts: int,
        retry_base_seconds: float,
        timeout_seconds: float = 10.0,
        concurrency: int = 16,
        public_only: bool = True,
    ) -> None:
        self.hub = hub
        self.poll_seconds = poll_seconds
        self.max_attempts = max_attempts
        self.retry_base_seconds = retry_base_seconds
        self.timeout_seconds = timeout_seconds
        self.concurrency = concurrency
        # Outside development, deliveries connect only to public addresses.
        self.public_only = public_only
        self.owner = secrets.token_hex(8)
        self._serving: dict[int, asyncio.Task[None]] = {}
        self._client: httpx.AsyncClient | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="webhook-worker")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        watcher = self.hub.watch()
        try:
            async with httpx.AsyncClient(
                timeout=self.timeout_seconds,
                follow_redirects=False,
                transport=delivery_transport(public_only=self.public_only),
            ) as client:
                self._client = client
                while True:
                    watcher.clear()
                    try:
                        await self._start_due(watcher)
                    except Exception:
                        log.exception("webhook delivery round failed")
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(watcher.wait(), self.poll_seconds)
                    # Under a stream of commits, look for due endpoints at most this often.
                    await asyncio.sleep(MIN_ROUND_SECONDS)
        finally:
            self.hub.unwatch(watcher)
            for task in list(self._serving.values()):
                task.cancel()
            await asyncio.gather(*self._serving.values(), return_exceptions=True)

    async def _start_due(self, watcher: asyncio.Event) -> None:
        """Start serving each due endpoint not served yet: a slow receiver holds up only
        its own endpoint."""
        for endpoint_id in await webhooks.due_endpoints(limit=100):
            if endpoint_id in self._serving or len(self._serving) >= self.concurrency:
                continue
            task = asyncio.create_task(self._serve(endpoint_id, watcher))
            self._serving[endpoint_id] = task
            task.add_done_callback(partial(self._done, endpoint_id))

    def _done(self, endpoint_id: int, _task: asyncio.Task) -> None:
        self._serving.pop(endpoint_id, None)

    async def _serve(self, endpoint_id: int, watcher: asyncio.Event) -> None:
        endpoint = await webhooks.claim(endpoint_id, self.owner, LEASE)
        if endpoint is None:
            return
        try:
            if await self._deliver(endpoint):
                watcher.set()  # more may wait behind this batch
                await webhooks.prune_deliveries(endpoint.id)
        except Exception:
            log.exception("webhook delivery to endpoint %s failed", endpoint_id)
        finally:
            await webhooks.release(endpoint, self.owner)

    async def _deliver(self, endpoint: WebhookEndpoint) -> int:
        shop = await Shop.get(id=endpoint.shop_id).only("id", "currency")
        wanted = set(endpoint.types or [])
        done = 0
        for row in await read_after(endpoint.shop_id, endpoint.cursor, BATCH):
            if row.type in wanted:
                if not await webhooks.renew(endpoint, self.owner, LEASE):
                    break
                if not await self._post(endpoint, row, shop.currency):  # advances when delivered
                    break
            else:
                await webhooks.advance(endpoint, self.owner, row.seq)
            done += 1
        return done

    async def _post(self, endpoint: WebhookEndpoint, row: RewardEvent, currency: str) -> bool:
        assert self._client is not None
        body = reward_event.body(row, currency)
        timestamp = int(clock.now().timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            webhooks.SIGNATURE_HEADER: webhooks.signature_header(endpoint.secret, timestamp, body),
            webhooks.EVENT_ID_HEADER: reward_event.event_id(row),
            webhooks.EVENT_TYPE_HEADER: row.type,
            webhooks.TIMESTAMP_HEADER: str(timestamp),
        }
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        try:
            response = await self._client.post(endpoint.url, content=body, headers=headers)
            status = response.status_code
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        duration_ms = int((time.perf_counter() - started) * 1000)
        telemetry.webhook_attempted(error is None)
        # The attempt's log entry and what it does to the endpoint (its cursor moved on, or one
        # more failure counted) commit together: a reader never sees one without the other.
        async with in_transaction():
            await webhooks.log_delivery(
                endpoint,
                event_id=row.id,
                event_seq=row.seq,
                success=error is None,
                status_code=status,
                error=error,
                duration_ms=duration_ms,
            )
            if error is None:
                await webhooks.advance(endpoint, self.owner, row.seq)
            else:
                await webhooks.failed(
                    endpoint,
                    self.owner,
                    error,
                    max_attempts=self.max_attempts,
                    base_seconds=self.retry_base_seconds,
                )
        if error is not None:
            log.warning(
                "webhook delivery failed",
                extra={
                    "shop_id": endpoint.shop_id,
                    "endpoint_id": endpoint.id,
                    "event_seq": row.seq,
                    "status_code": status,
                    "error": error,
                    "duration_ms": duration_ms,
                },
            )
            return False
        return True
