"""Limits on websockets (docs/security.md): the size of one message, and the subscriptions
one API key may keep open in a process. Each is answered by closing the socket with its code.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.live_sockets import live_sockets

MESSAGE_TOO_BIG = 1009  # RFC 6455: a message too big to process
TOO_MANY_SUBSCRIPTIONS = 1008  # RFC 6455: a message that violates the server's policy
TOO_MANY_REASON = "Too many subscriptions for this API key"


class WebSocketMessageLimit:
    """Closes a websocket with 1009 when a message it receives is above `max_bytes`; the app
    behind sees the client gone and may send nothing more."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket" or self.max_bytes <= 0:
            await self.app(scope, receive, send)
            return
        closed = False

        async def limited_receive() -> Message:
            nonlocal closed
            message = await receive()
            if message["type"] == "websocket.receive" and self._too_big(message):
                closed = True
                reason = "Message too big"
                await send({"type": "websocket.close", "code": MESSAGE_TOO_BIG, "reason": reason})
                return {"type": "websocket.disconnect", "code": MESSAGE_TOO_BIG}
            return message

        async def guarded_send(message: Message) -> None:
            if not closed:
                await send(message)

        await self.app(scope, limited_receive, guarded_send)

    def _too_big(self, message: Message) -> bool:
        if message.get("bytes") is not None:
            return len(message["bytes"]) > self.max_bytes
        text = message.get("text") or ""
        # A character is 1 to 4 bytes in UTF-8: only a text between the two needs encoding.
        if len(text) * 4 <= self.max_bytes:
            return False
        return len(text) > self.max_bytes or len(text.encode()) > self.max_bytes


def over_cap(handler, operations: dict) -> bool:
    """Whether the handler's key already holds its share of open subscriptions. The handler's
    socket publishes its operations so that the count spans the key's sockets."""
    websocket = handler.websocket.ws
    websocket.state.operations = operations
    key = getattr(handler.context, "api_key", None)
    cap = getattr(handler.view, "max_subscriptions_per_key", 0)
    return bool(key is not None and cap and live_sockets.operations(key.id) >= cap)


async def close_over_cap(handler) -> None:
    await handler.websocket.close(code=TOO_MANY_SUBSCRIPTIONS, reason=TOO_MANY_REASON)
