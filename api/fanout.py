"""Subscriptions shared between sockets: each event is executed once per distinct subscription,
and the same text is written to every socket that shares it.

A distinct subscription is its shop, its key's role, its document, operation name and
variables: together they decide every byte it sends. Sockets that subscribe with the same ones
share one `SharedStream`, which runs the subscription once through the schema (extensions,
permissions and masking included) and hands each result, encoded once, to its subscribers.

Each subscriber has a bounded queue that its own task drains into its socket. A stream renders
its next event as soon as one of its subscribers is nearly empty, so it keeps the pace of its
fastest reader: a lone subscriber replaying a long backlog is never rushed, and a socket that
falls `queue_size` messages behind the others is dropped and closed with code 4008, without
ever holding them back. It reconnects and resumes after its last cursor.

A socket joins a running stream only where it misses nothing it asked for: a stream that
follows the log "from now" (no cursor) at any time, from the next event committed after it
subscribed; a stream that replays after a cursor only before it has sent anything. Otherwise
it starts a stream of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from strawberry.types.execution import ExecutionResult, PreExecutionError

from api import metrics
from delivery.hub import hub
from resolvers.context import Context

log = logging.getLogger("milestones.websockets")

TOO_SLOW_CODE = 4008
TOO_SLOW_REASON = "Too slow: resume after your last cursor"
QUEUE_SIZE = 1000
# A stream renders its next event while one of its subscribers has fewer than this many
# waiting: enough to keep a socket busy while the next one renders.
PACE = 8


@dataclass(frozen=True)
class StreamKey:
    """What decides every byte a subscription sends: the same key, the same messages."""

    shop_id: int
    role: str
    query: str
    operation_name: str | None
    variables: str  # canonical JSON


@dataclass(frozen=True)
class Request:
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None


class Message:
    """One result of a stream: its payload encoded once, then framed once per protocol and
    operation id (clients mostly number their first operation "1", so most sockets of a
    stream are written the very same string)."""

    __slots__ = ("payload", "position", "_frames")

    def __init__(self, payload: str, position: int | None) -> None:
        self.payload = payload
        self.position = position
        self._frames: dict[tuple[str, str], str] = {}

    def frame(self, template: str, operation_id: str) -> str:
        """`template` with the operation id (JSON-encoded) and the payload filled in."""
        key = (template, operation_id)
        found = self._frames.get(key)
        if found is None:
            found = self._frames[key] = template % (json.dumps(operation_id), self.payload)
        return found


@dataclass(frozen=True)
class Refused:
    """The subscription failed before it started (a validation error, for one)."""

    errors: list[Any]


class TooSlow(Exception):
    """The socket fell `queue_size` messages behind its stream and was dropped from it."""


def encode(result: ExecutionResult) -> str:
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        payload["extensions"] = result.extensions
    return json.dumps(payload, separators=(",", ":"))


class Subscriber:
    """One socket's operation on a stream: what is waiting for it, and the end."""

    def __init__(self, stream: SharedStream, queue_size: int, skip_through: int | None) -> None:
        self.stream = stream
        self.queue: deque[Message | Refused] = deque()
        self.queue_size = queue_size
        # A socket that joins a stream already running from now wants only what commits next.
        self.skip_through = skip_through
        self.ended = False
        self.too_slow = False
        self._wakeup: asyncio.Future[None] | None = None

    def offer(self, item: Message | Refused) -> bool:
        """Queue one item; False when the queue was full (the subscriber is now too slow)."""
        if self.skip_through is not None and isinstance(item, Message):
            if item.position is not None and item.position <= self.skip_through:
                return True
            self.skip_through = None
        if len(self.queue) >= self.queue_size:
            self.too_slow = True
            self.queue.clear()
            self._wake()
            return False
        self.queue.append(item)
        self._wake()
        return True

    def end(self) -> None:
        self.ended = True
        self._wake()

    def _wake(self) -> None:
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)

    def __aiter__(self) -> Subscriber:
        return self

    async def __anext__(self) -> Message | Refused:
        while True:
            if self.too_slow:
                raise TooSlow
            if self.queue:
                item = self.queue.popleft()
                if len(self.queue) < PACE:
                    self.stream.room()
                return item
            if self.ended:
                raise StopAsyncIteration
            self._wakeup = asyncio.get_running_loop().create_future()
            await self._wakeup


class SharedStream:
    """One run of a subscription, and the sockets it is written to."""

    def __init__(self, streams: SharedStreams, key: StreamKey, context: Context) -> None:
        self.streams = streams
        self.key = key
        self.context = context
        # A dict keeps join order and removes in constant time.
        self.subscribers: dict[Subscriber, None] = {}
        self.sent = 0
        self.ended = False
        self._room: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def joinable(self) -> bool:
        return not self.ended and (self.sent == 0 or self.context.following.from_now)

    @property
    def live(self) -> bool:
        return self.context.following.live

    def start(self, schema: Any, request: Request) -> None:
        self._task = asyncio.create_task(self._run(schema, request), name="shared-subscription")

    def add(self, queue_size: int) -> Subscriber:
        skip_through = None
        if self.sent and self.context.following.from_now:
            skip_through = hub.known_end(self.key.shop_id)
        subscriber = Subscriber(self, queue_size, skip_through)
        self.subscribers[subscriber] = None
        self.room()
        return subscriber

    def remove(self, subscriber: Subscriber) -> None:
        self.subscribers.pop(subscriber, None)
        self.room()
        if not self.subscribers and not self.ended:
            self._finish()
            if self._task is not None:
                self._task.cancel()

    def room(self) -> None:
        """A subscriber has room for more: render the next event if the stream waits."""
        if self._room is not None and not self._room.done():
            self._room.set_result(None)

    async def _run(self, schema: Any, request: Request) -> None:
        try:
            source = await schema.subscribe(
                request.query,
                variable_values=request.variables,
                context_value=self.context,
                operation_name=request.operation_name,
            )
            async with contextlib.aclosing(source):
                async for result in source:
                    if not self.sent and isinstance(result, PreExecutionError):
                        self._publish(Refused(list(result.errors or [])))
                        return
                    self._publish(Message(encode(result), self.context.following.position))
                    self.sent += 1
                    if not self.subscribers:  # the last ones were too slow
                        return
                    await self._paced()
        except Exception:
            log.exception("shared subscription failed (request id %s)", self.context.request_id)
        finally:
            self._finish()

    def _publish(self, item: Message | Refused) -> None:
        dropped = [s for s in self.subscribers if not s.offer(item)]
        for subscriber in dropped:
            self.subscribers.pop(subscriber, None)
            metrics.subscriber_too_slow()

    async def _paced(self) -> None:
        # The subscribers' tasks were woken first, so they write this message before the
        # stream renders the next one.
        await asyncio.sleep(0)
        while self.subscribers and all(len(s.queue) >= PACE for s in self.subscribers):
            self._room = asyncio.get_running_loop().create_future()
            await self._room
            self._room = None

    def _finish(self) -> None:
        if self.ended:
            return
        self.ended = True
        self.streams.forget(self)
        for subscriber in self.subscribers:
            subscriber.end()


class SharedStreams:
    """This process's shared streams, by key."""

    def __init__(self, queue_size: int = QUEUE_SIZE) -> None:
        self.queue_size = queue_size
        self._joinable: dict[StreamKey, SharedStream] = {}
        self._running: set[SharedStream] = set()

    @contextlib.asynccontextmanager
    async def subscribe(
        self, key: StreamKey, schema: Any, request: Request, context: Context
    ) -> AsyncIterator[Subscriber]:
        """A subscriber on the stream of `key`, started with `context`'s key when no running
        one may take it; it leaves the stream when the block ends."""
        stream = self._joinable.get(key)
        if stream is None or not stream.joinable:
            stream = SharedStream(self, key, stream_context(context))
            self._joinable[key] = stream
            self._running.add(stream)
            stream.start(schema, request)
        subscriber = stream.add(self.queue_size)
        metrics.subscriber_connected()
        try:
            yield subscriber
        finally:
            stream.remove(subscriber)
            metrics.subscriber_disconnected()

    def forget(self, stream: SharedStream) -> None:
        self._running.discard(stream)
        if self._joinable.get(stream.key) is stream:
            del self._joinable[stream.key]

    def running(self) -> list[SharedStream]:
        return list(self._running)

    def live_subscriber_count(self) -> int:
        """Subscribers whose stream follows the log: commits from now on reach them."""
        return sum(len(s.subscribers) for s in self._running if s.live)


def stream_context(context: Context) -> Context:
    """The context a stream runs with: the first socket's key and request id, not its socket,
    which may close while others still share the stream."""
    return Context(
        request=None, response=None, api_key=context.api_key, request_id=context.request_id
    )


streams = SharedStreams()
