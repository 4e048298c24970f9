"""Open websockets by API key, so that revoking a key closes its sockets (code 4401).

A key revoked in this process closes its sockets at once (the engine tells us). A key revoked
elsewhere (another server process, the command line) is caught by a re-check of the keys of
all open sockets every `recheck_seconds`, which runs only while sockets are open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref

from starlette.websockets import WebSocket, WebSocketState

from engine.services import keys
from models import ApiKey

log = logging.getLogger("milestones.websockets")

REVOKED_CODE = 4401
RECHECK_SECONDS = 5.0


class LiveSockets:
    def __init__(self, recheck_seconds: float = RECHECK_SECONDS) -> None:
        self.recheck_seconds = recheck_seconds
        # Weak: a socket leaves by itself when its connection is gone.
        self._by_key: dict[int, weakref.WeakSet[WebSocket]] = {}
        self._recheck: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Task[None]] = set()

    def add(self, key_id: int, websocket: WebSocket) -> None:
        self._by_key.setdefault(key_id, weakref.WeakSet()).add(websocket)
        if self._recheck is None or self._recheck.done():
            self._recheck = asyncio.create_task(self._recheck_while_open())

    def operations(self, key_id: int) -> int:
        """Operations running on the key's open sockets (each socket's handler publishes its
        own, api/socket_limits.py)."""
        return sum(len(getattr(ws.state, "operations", ())) for ws in self._by_key.get(key_id, ()))

    def key_revoked(self, key_id: int) -> None:
        """Close the key's sockets; callable from synchronous code inside the event loop."""
        sockets = self._by_key.pop(key_id, None)
        for websocket in list(sockets or ()):
            task = asyncio.get_running_loop().create_task(_close(websocket))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def recheck(self) -> None:
        """Close the sockets of keys that are no longer live (revoked in another process)."""
        self._by_key = {key_id: s for key_id, s in self._by_key.items() if len(s)}
        if not self._by_key:
            return
        live = set(
            await ApiKey.filter(id__in=list(self._by_key), revoked_at=None).values_list(
                "id", flat=True
            )
        )
        for key_id in set(self._by_key) - live:
            self.key_revoked(key_id)

    async def _recheck_while_open(self) -> None:
        while self._by_key:
            await asyncio.sleep(self.recheck_seconds)
            try:
                await self.recheck()
            except Exception:
                log.exception("re-checking the keys of open websockets failed")


async def _close(websocket: WebSocket) -> None:
    if websocket.application_state != WebSocketState.CONNECTED:
        return
    # The socket may close on its own meanwhile; then there is nothing left to do.
    with contextlib.suppress(RuntimeError):
        await websocket.close(code=REVOKED_CODE, reason="API key revoked")


live_sockets = LiveSockets()
keys.on_revoked(live_sockets.key_revoked)
