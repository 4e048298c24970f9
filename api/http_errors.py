"""The JSON error answer of requests refused before GraphQL runs (401, 413, 429)."""

from __future__ import annotations

import json

from starlette.types import Send


async def send_error(
    send: Send,
    status: int,
    code: str,
    message: str,
    headers: list[tuple[bytes, bytes]] | None = None,
    **extensions: object,
) -> None:
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": code, **extensions}}]})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), *(headers or [])],
        }
    )
    await send({"type": "http.response.body", "body": body.encode()})
