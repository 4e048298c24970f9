"""The JSON error answers of requests that GraphQL does not answer: refused before it runs
(401, 413, 429), or failed outside it (500)."""

from __future__ import annotations

import json
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Send

from resolvers.masking import internal_error_extensions, internal_error_message

log = logging.getLogger("milestones.errors")


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


async def internal_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's handler of last resort: the traceback goes to the log, the client gets
    the request id."""
    request_id = getattr(request.state, "request_id", None) or "-"
    log.error("unexpected error in %s (request id %s)", request.url.path, request_id, exc_info=exc)
    error = {
        "message": internal_error_message(request_id),
        "extensions": internal_error_extensions(request_id),
    }
    return JSONResponse({"errors": [error]}, status_code=500, headers={"X-Request-Id": request_id})
