"""Bearer-key authentication for HTTP (401 with a JSON body) and websockets (close 4401)."""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from api.http_errors import send_error
from engine.services.keys import authenticate
from models import ApiKey

MISSING_KEY = "Missing API key. Send the header `Authorization: Bearer <key>`."
UNKNOWN_KEY = "Unknown or revoked API key."


def read_authorization(value: str | None) -> tuple[str | None, str]:
    """The key of an `Authorization: Bearer <key>` value, or None and why it has none."""
    scheme, _, token = (value or "").strip().partition(" ")
    if not scheme:
        return None, MISSING_KEY
    if scheme.lower() != "bearer":
        if not token or not scheme.isalpha():  # a bare key: its scheme left out
            return None, (
                "The Authorization header must name the Bearer scheme: "
                "`Authorization: Bearer <key>`."
            )
        return None, (
            f"The Authorization scheme `{scheme}` is not supported: "
            "send `Authorization: Bearer <key>`."
        )
    if not token.strip():
        return None, MISSING_KEY
    return token.strip(), UNKNOWN_KEY


def token_from_params(params: dict[str, Any] | None) -> tuple[str | None, str]:
    """The key in a websocket `connection_init` payload: `Authorization` (any case) or
    `headers.Authorization`, as "Bearer <key>"; or None and why it has none."""
    if not isinstance(params, dict):
        return None, MISSING_KEY
    candidates = [params, params.get("headers") if isinstance(params.get("headers"), dict) else {}]
    for source in candidates:
        for name, value in source.items():
            if isinstance(name, str) and name.lower() == "authorization" and isinstance(value, str):
                return read_authorization(value)
    return None, MISSING_KEY


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
            header = headers.get(b"authorization", b"").decode("latin-1")
            token, problem = read_authorization(header)
            key: ApiKey | None = await authenticate(token) if token else None
            if key is None:
                await _unauthorized(send, problem)
                return
            scope.setdefault("state", {})["api_key"] = key
        await self.app(scope, receive, send)
