"""Bearer-key authentication for HTTP (401 with a JSON body) and websockets (close 4401)."""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from api.http_errors import send_error
from engine.services.keys import authenticate
from models import ApiKey


def bearer_token(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def token_from_params(params: dict[str, Any] | None) -> str | None:
    """The key in a websocket `connection_init` payload: `Authorization` (any case) or
    `headers.Authorization`, as "Bearer <key>"."""
    if not isinstance(params, dict):
        return None
    candidates = [params, params.get("headers") if isinstance(params.get("headers"), dict) else {}]
    for source in candidates:
        for name, value in source.items():
            if isinstance(name, str) and name.lower() == "authorization" and isinstance(value, str):
                return bearer_token(value)
    return None


async def _unauthorized(send: Send, message: str) -> None:
    challenge = [(b"www-authenticate", b'Bearer realm="milestones"')]
    await send_error(send, 401, "UNAUTHENTICATED", message, headers=challenge)


def wants_graphiql(scope: Scope) -> bool:
    """A browser asking for the GraphiQL page (GET with no query, persisted or not) needs
    no key."""
    query_string = scope.get("query_string", b"")
    if scope["method"] != "GET" or b"query=" in query_string or b"extensions=" in query_string:
        return False
    headers = dict(scope.get("headers") or [])
    return b"text/html" in headers.get(b"accept", b"")


class BearerAuth:
    """Puts the caller's live ApiKey (shop loaded) into `scope["state"]["api_key"]`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not wants_graphiql(scope):
            headers = dict(scope.get("headers") or [])
            token = bearer_token(headers.get(b"authorization", b"").decode("latin-1"))
            key: ApiKey | None = await authenticate(token) if token else None
            if key is None:
                message = "Missing API key." if token is None else "Unknown or revoked API key."
                await _unauthorized(send, message)
                return
            scope.setdefault("state", {})["api_key"] = key
        await self.app(scope, receive, send)
