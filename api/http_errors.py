"""The JSON error answers of requests that GraphQL does not answer: refused before it runs
(400, 401, 413, 429), or failed outside it (500). Every one has the shape of a GraphQL
error answer: `{"errors": [{"message", "extensions": {"code"}}]}`."""

from __future__ import annotations

import json
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Send

from resolvers.masking import internal_error_extensions, internal_error_message

log = logging.getLogger("milestones.errors")


# Strawberry's reasons for refusing a request it cannot read, as sentences a caller can act on.
_BAD_REQUEST_MESSAGES = {
    "Unable to parse request body as JSON": "The request body is not valid JSON. Send a JSON "
    'object such as {"query": "{ shop { name } }", "variables": {}}.',
    "No GraphQL query found in the request": "The request has no `query`. Send a JSON object "
    'such as {"query": "{ shop { name } }"}.',
    "Unsupported content type": "Send the request as JSON, with the header "
    "`Content-Type: application/json`.",
}


def error_body(code: str, message: str, **extensions: object) -> str:
    error = {"message": message, "extensions": {"code": code, **extensions}}
    return json.dumps({"errors": [error]})


def bad_request(status: int, reason: str) -> Response:
    """A request the GraphQL view refused before running it (its body, method or content type),
    answered in the JSON shape of every other failure."""
    message = _BAD_REQUEST_MESSAGES.get(reason) or reason.rstrip(".") + "."
    code = {400: "BAD_REQUEST", 404: "NOT_FOUND"}.get(status, "METHOD_NOT_ALLOWED")
    return Response(error_body(code, message), status_code=status, media_type="application/json")


async def send_error(
    send: Send,
    status: int,
    code: str,
    message: str,
    headers: list[tuple[bytes, bytes]] | None = None,
    **extensions: object,
) -> None:
    body = error_body(code, message, **extensions)
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
