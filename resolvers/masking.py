"""Unexpected failures reach the client as a generic error with a request id, never a trace."""

from __future__ import annotations

import logging

from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors

log = logging.getLogger("milestones.errors")


def internal_error_message(request_id: str) -> str:
    return f"Internal error. Quote request id {request_id} when reporting it."


def internal_error_extensions(request_id: str) -> dict[str, str]:
    return {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}


def is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class MaskUnexpectedErrors(MaskErrors):
    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        context = self.execution_context.context
        request_id = getattr(context, "request_id", "") or "-"
        original = error.original_error
        log.error(
            "unexpected error in %s (request id %s)",
            ".".join(str(p) for p in error.path or ()),
            request_id,
            exc_info=(type(original), original, original.__traceback__),
        )
        return GraphQLError(
            message=internal_error_message(request_id),
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions=internal_error_extensions(request_id),
        )
