"""The Strawberry view: context per request, persisted queries and GET for queries only,
websocket authentication, and the websocket protocols that share subscriptions between
sockets."""

from __future__ import annotations

import dataclasses
import uuid

from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult

from api.auth import token_from_params
from api.graphiql import graphiql_page
from api.http_errors import bad_request
from api.live_sockets import live_sockets
from api.persisted_queries import PersistedQueries, PersistedQueryError
from api.ws_protocols import LegacyWSHandler, TransportWSHandler
from engine.core.enums import Role
from engine.services.keys import authenticate
from resolvers import allow_list
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
        # an unknown key is 4401 and a role that may not subscribe 4403 on both (docs/concepts.md, "Shops and keys").
        override = getattr(self.ws.state, "close_code", None)
        if override and code in (4403, 1011):
            code, reason = override
        await super().close(code, reason)


def _refusal(sub_response, status: int, code: str, message: str) -> ExecutionResult:
    sub_response.status_code = status
    return ExecutionResult(data=None, errors=[GraphQLError(message, extensions={"code": code})])


class MilestonesGraphQL(GraphQL):
    websocket_adapter_class = _WebSocketAdapter
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(
        self,
        *args,
        persisted: PersistedQueries | None = None,
        max_subscriptions_per_key: int = 0,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.persisted = persisted or PersistedQueries()
        self.max_subscriptions_per_key = max_subscriptions_per_key

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

    def _storefront_refusal(self, context: Context, request_data) -> GraphQLError | None:
        """With the allow-list on, a STOREFRONT key's operation must be a registered one
        (resolvers/allow_list.py); websockets refuse storefront keys anyway."""
        if context.role != Role.STOREFRONT:
            return None
        state = context.request.app.state
        if not state.settings.storefront_allow_list:
            return None
        return allow_list.refusal(
            state.storefront_operations, request_data.query, request_data.operation_name
        )

    def should_render_graphql_ide(self, request) -> bool:
        # A persisted query sent with GET has no `query`, but it is no browser asking for
        # GraphiQL (curl and others accept */*).
        return "extensions" not in request.query_params and super().should_render_graphql_ide(
            request
        )

    async def execute_single(
        self, request, request_adapter, sub_response, context, root_value, request_data
    ) -> ExecutionResult:
        try:
            found = self.persisted.lookup(request_data.query, request_data.extensions)
        except PersistedQueryError as error:
            return _refusal(sub_response, error.status, error.code, error.message)
        if found is not None:
            request_data = dataclasses.replace(request_data, query=found.query)
        if (refused := self._storefront_refusal(context, request_data)) is not None:
            return ExecutionResult(data=None, errors=[refused])
        try:
            result = await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
        except HTTPException as error:
            if not isinstance(error.__cause__, InvalidOperationTypeError):
                raise
            # GET is for queries, which a cache may keep; anything else changes state.
            sub_response.headers["Allow"] = "POST"
            return _refusal(
                sub_response, 405, "METHOD_NOT_ALLOWED", "Only queries may be sent with GET; use POST."
            )
        if found is not None and found.hash is not None and result.data is not None:
            self.persisted.keep(found.hash, found.query)
        return result

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
