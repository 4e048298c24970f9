"""One request id per request, echoed as `X-Request-Id`; one JSON log line and metrics per request.

The id is the caller's `X-Request-Id` when it is a sane token, otherwise a new one. It is put in
`scope["state"]` before anything else runs, so the GraphQL context, error messages and this log
line all quote the same value. The GraphQL layer fills in the operation, shop and outcome
(`resolvers/operation_facts.py`); requests that never reach it are judged by their status.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import metrics

log = logging.getLogger("milestones.requests")

HEADER = "X-Request-Id"
_SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}")
GRAPHQL_PATH = "/graphql"
_STATUS_OUTCOMES = {401: "unauthorized", 403: "forbidden", 413: "too_large", 429: "rate_limited"}


@dataclass
class RequestRecord:
    request_id: str
    operation: str | None = None
    shop_id: int | None = None
    outcome: str | None = None


def incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers") or ():
        if name == b"x-request-id":
            candidate = value.decode("latin-1").strip()
            return candidate if _SANE_ID.fullmatch(candidate) else None
    return None


def status_outcome(status: int) -> str:
    if status in _STATUS_OUTCOMES:
        return _STATUS_OUTCOMES[status]
    if status >= 500:
        return "internal"
    return "bad_request" if status >= 400 else "ok"


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        record = RequestRecord(incoming_request_id(scope) or uuid.uuid4().hex)
        state = scope.setdefault("state", {})
        state["request_id"] = record.request_id
        state["request_record"] = record
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append(HEADER, record.request_id)
            elif message["type"] == "websocket.accept":
                id_header = (b"x-request-id", record.request_id.encode())
                message["headers"] = [*message.get("headers", ()), id_header]
            elif message["type"] == "websocket.close":
                status = message.get("code", 1000)
            await send(message)

        async def receive_disconnect() -> Message:
            nonlocal status
            message = await receive()
            if message["type"] == "websocket.disconnect":
                status = message.get("code", 1000)
            return message

        if scope["type"] == "websocket":
            status = 1006  # closed without a close frame, until one is seen
        try:
            await self.app(scope, receive_disconnect, send_with_id)
        finally:
            self._finish(scope, record, status, time.perf_counter() - started)

    def _finish(self, scope: Scope, record: RequestRecord, status: int, seconds: float) -> None:
        if scope["type"] == "websocket":
            log.info(
                "websocket closed",
                extra={
                    "request_id": record.request_id,
                    "path": scope["path"],
                    "shop_id": record.shop_id,
                    "close_code": status,
                    "duration_ms": round(seconds * 1000, 2),
                },
            )
            return
        outcome = record.outcome if record.outcome and status < 400 else status_outcome(status)
        if scope["path"] == GRAPHQL_PATH:
            metrics.observe_request(record.operation or "none", outcome, seconds)
        log.info(
            "request",
            extra={
                "request_id": record.request_id,
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "operation": record.operation,
                "shop_id": record.shop_id,
                "outcome": outcome,
                "duration_ms": round(seconds * 1000, 2),
            },
        )
