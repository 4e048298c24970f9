"""Tells the request log which operation ran, for which shop, and how it ended."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from graphql import FieldNode, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from resolvers.masking import is_unexpected

# A client's operation name becomes a metrics label only when it looks like one.
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")


def _root_fields(document: Any, name: str | None) -> str | None:
    if document is None:
        return None
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            name is None or (definition.name and definition.name.value == name)
        ):
            selections = definition.selection_set.selections
            fields = sorted({s.name.value for s in selections if isinstance(s, FieldNode)})
            return ",".join(fields) or None
    return None


def operation_label(document: Any, provided_name: str | None) -> str:
    """The client's operation name, or the operation's root fields when it has none."""
    if provided_name and _NAME.fullmatch(provided_name):
        return provided_name
    return _root_fields(document, provided_name) or "invalid"


def outcome_of(result: Any) -> str:
    """`ok`, `user_error` (a payload's `userErrors`), `internal`, or the first error's code."""
    errors = getattr(result, "errors", None) or []
    if any(is_unexpected(e) or (e.extensions or {}).get("code") == "INTERNAL_SERVER_ERROR" for e in errors):
        return "internal"
    if errors:
        code = (errors[0].extensions or {}).get("code")
        return str(code).lower() if code else "error"
    data = getattr(result, "data", None) or {}
    for value in data.values() if isinstance(data, dict) else ():
        if isinstance(value, dict) and value.get("userErrors"):
            return "user_error"
    return "ok"


class OperationFacts(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context.context
        request = getattr(context, "request", None)
        record = getattr(getattr(request, "state", None), "request_record", None)
        if record is None or getattr(request, "scope", {}).get("type") != "http":
            return
        execution = self.execution_context
        record.operation = operation_label(execution.graphql_document, execution.operation_name)
        api_key = getattr(context, "api_key", None)
        record.shop_id = getattr(api_key, "shop_id", None)
        record.outcome = outcome_of(execution.result)
