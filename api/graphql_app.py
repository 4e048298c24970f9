"""The Strawberry view: context per request, websocket authentication, and the websocket
protocols that share subscriptions between sockets."""

from __future__ import annotations

import uuid

from cross_web import HTTPException
from starlette.requests import Request
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected

from api.auth import token_from_params
from api.graphiql import graphiql_page
from api.http_errors import bad_request
from api.live_sockets import live_sockets
from api.ws_protocols import LegacyWSHandler, TransportWSHandler
from engine.core.enums import Role
from engine.services.keys import authenticate
from resolvers.context import Context

SUBSCRIBER_ROLES = frozenset({Role.ADMIN.value, Role.PARTNER.value})


class _WebSocketAdapter(ASGIWebSocketAdapter):
    async def send_text(self, text: str) -> None:
        """Send an already encoded message (one a shared stream encoded for many sockets)."""
        if self.ws.application_state != WebSocketState.CONNECTED:
            raise WebSocketDisconnected
        try:
            await self.ws.send_text(text)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc

    async def close(self, code: int, reason: str) -> None:
        # Strawberry rejects with 4403 (graphql-transport-ws) or 1011 (legacy graphql-ws);
        # an unknown key is 4401 and a role that may not subscribe 4403 on both (DESIGN §1).
        override = getattr(self.ws.state, "close_code", None)
        if override and code in (4403, 1011):
            code, reason = override
        await super().close(code, reason)


class MilestonesGraphQL(GraphQL):
    websocket_adapter_class = _WebSocketAdapter
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        # Strawberry answers a body it cannot read in plain text; callers get JSON errors.
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as error:
            response = bad_request(error.status_code, error.reason)
        await response(scope, receive, send)

    async def render_graphql_ide(self, request: Request):
        # Strawberry's own page loads React and GraphiQL from a public CDN.
        return graphiql_page()

    async def get_context(self, request: Request | WebSocket, response) -> Context:
        request_id = getattr(request.state, "request_id", None) or uuid.uuid4().hex
        return Context(
            request=request,
            response=response,
            api_key=getattr(request.state, "api_key", None),
            request_id=request_id,
        )

    async def on_ws_connect(self, context: Context):
        token, problem = token_from_params(context.connection_params)
        key = await authenticate(token) if token else None
        if key is None:
            context.request.state.close_code = (4401, "Unauthorized")
            raise ConnectionRejectionError({"message": problem})
        if key.role not in SUBSCRIBER_ROLES:
            context.request.state.close_code = (4403, "Forbidden")
            raise ConnectionRejectionError({"message": "This key's role may not subscribe."})
        context.api_key = key
        record = getattr(context.request.state, "request_record", None)
        if record is not None:  # the socket's log line names its shop
            record.shop_id = key.shop_id
        live_sockets.add(key.id, context.request)
        return None
