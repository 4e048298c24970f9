"""A token bucket per API key: over the rate, HTTP 429 with Retry-After.

The buckets live in the process. Several server processes each keep their own, so a key may
reach the rate once per process: divide RATE_LIMIT_PER_SECOND by the number of workers, or
limit at the proxy in front of them. (On SQLite there is only one process.)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from api.http_errors import send_error

# Above this many buckets, the ones that have refilled completely are dropped: a full bucket
# is the same as no bucket.
MAX_BUCKETS = 10_000


@dataclass
class Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    def __init__(
        self, per_second: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_second = per_second
        self.burst = max(1, burst)
        self.clock = clock
        self._buckets: dict[int, Bucket] = {}

    def take(self, key: int) -> float:
        """Take one token for `key`: 0 when allowed, else the seconds until one is there."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_BUCKETS:
                self._drop_full(now)
            bucket = self._buckets[key] = Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.per_second)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.per_second

    def _drop_full(self, now: float) -> None:
        self._buckets = {
            key: b
            for key, b in self._buckets.items()
            if b.tokens + (now - b.updated) * self.per_second < self.burst
        }


class RateLimit:
    """Runs after authentication (it limits the key in `scope["state"]["api_key"]`); a
    `per_second` of 0 turns it off."""

    def __init__(self, app: ASGIApp, buckets: TokenBuckets | None) -> None:
        self.app = app
        self.buckets = buckets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = scope.get("state", {}).get("api_key")
        if self.buckets is None or scope["type"] != "http" or key is None:
            await self.app(scope, receive, send)
            return
        wait = self.buckets.take(key.id)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            await send_error(
                send,
                429,
                "RATE_LIMITED",
                f"Too many requests for this API key; retry in {retry_after} s.",
                headers=[(b"retry-after", str(retry_after).encode())],
                retryAfter=retry_after,
            )
            return
        await self.app(scope, receive, send)


def rate_limit(app: ASGIApp, per_second: float, burst: int) -> RateLimit:
    return RateLimit(app, TokenBuckets(per_second, burst) if per_second > 0 else None)
