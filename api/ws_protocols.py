"""The two websocket protocols, graphql-transport-ws and the legacy graphql-ws, with their
subscriptions served from shared streams (api/fanout.py). Queries and mutations sent over a
socket, and documents that do not parse, take Strawberry's own path."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from graphql import GraphQLError, OperationType, get_operation_ast, parse
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from api.fanout import (
    TOO_SLOW_CODE,
    TOO_SLOW_REASON,
    Refused,
    Request,
    StreamKey,
    TooSlow,
    streams,
)
from api.socket_limits import close_over_cap, over_cap
from resolvers.context import Context
from resolvers.limits import MAX_TOKENS

# The frames of a `next` (graphql-transport-ws) and a `data` (graphql-ws) message, laid out
# as Strawberry encodes them: operation id, then the payload.
TRANSPORT_NEXT = '{"id":%s,"type":"next","payload":%s}'
LEGACY_DATA = '{"type":"data","id":%s,"payload":%s}'


def is_subscription(query: str, operation_name: str | None) -> bool:
    try:
        document = parse(query, max_tokens=MAX_TOKENS)
    except GraphQLError:
        return False
    operation = get_operation_ast(document, operation_name)
    return operation is not None and operation.operation == OperationType.SUBSCRIPTION


def stream_key(
    context: Context, query: Any, variables: Any, operation_name: Any
) -> StreamKey | None:
    """The key of a shareable subscription; None for anything Strawberry should run itself."""
    key = context.api_key
    if key is None or not isinstance(query, str) or not isinstance(operation_name, str | None):
        return None
    if variables is not None and not isinstance(variables, dict):
        return None
    if not is_subscription(query, operation_name):
        return None
    canonical = json.dumps(variables or {}, sort_keys=True, separators=(",", ":"))
    return StreamKey(key.shop_id, key.role, query, operation_name, canonical)


async def close_too_slow(websocket) -> None:
    # The close waits behind what the socket has not taken yet; it may close on its own first.
    with contextlib.suppress(Exception):
        await websocket.close(code=TOO_SLOW_CODE, reason=TOO_SLOW_REASON)


class TransportWSHandler(BaseGraphQLTransportWSHandler):
    async def handle_subscribe(self, message) -> None:
        # One subscription past the key's share closes this socket (api/socket_limits.py).
        if self.connection_acknowledged and over_cap(self, self.operations):
            await close_over_cap(self)
            return
        await super().handle_subscribe(message)

    async def run_operation(self, operation: Operation) -> None:
        key = stream_key(self.context, operation.query, operation.variables, operation.operation_name)
        if key is None:
            await super().run_operation(operation)
            return
        request = Request(operation.query, operation.variables, operation.operation_name)
        try:
            async with streams.subscribe(key, self.schema, request, self.context) as subscriber:
                async for item in subscriber:
                    if isinstance(item, Refused):
                        await operation.send_initial_errors(item.errors)
                        return
                    if operation.completed:
                        return
                    await self.websocket.send_text(item.frame(TRANSPORT_NEXT, operation.id))
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except TooSlow:
            await close_too_slow(self.websocket)
        except WebSocketDisconnected:
            pass


class LegacyWSHandler(BaseGraphQLWSHandler):
    async def handle_start(self, message) -> None:
        if self.connection_acknowledged and over_cap(self, self.tasks):
            await close_over_cap(self)
            return
        await super().handle_start(message)

    async def handle_async_results(
        self,
        operation_id: str,
        query: str,
        operation_name: str | None,
        variables: dict[str, object] | None,
    ) -> None:
        key = stream_key(self.context, query, variables, operation_name)
        if key is None:
            await super().handle_async_results(operation_id, query, operation_name, variables)
            return
        request = Request(query, variables, operation_name)
        try:
            async with streams.subscribe(key, self.schema, request, self.context) as subscriber:
                async for item in subscriber:
                    if isinstance(item, Refused):
                        error = item.errors[0].formatted
                        await self.send_message({"type": "error", "id": operation_id, "payload": error})
                        return
                    await self.websocket.send_text(item.frame(LEGACY_DATA, operation_id))
            await self.send_message({"type": "complete", "id": operation_id})
        except TooSlow:
            await close_too_slow(self.websocket)
        except asyncio.CancelledError:
            # Stopped by the client (or the socket closed): the protocol answers `complete`.
            with contextlib.suppress(Exception):
                await self.send_message({"type": "complete", "id": operation_id})
        except WebSocketDisconnected:
            pass
        finally:
            self.subscriptions.pop(operation_id, None)
            self.tasks.pop(operation_id, None)
