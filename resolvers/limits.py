"""Limits on what one GraphQL document may ask: depth, aliases, tokens; introspection for ADMIN;
no text that no database can store.

The rule classes are built once here. Strawberry's limiter extensions build a new rule class
per instance, and the validation cache keys on the rule classes: built per request, every
request would miss the cache.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension

from engine.core.enums import Role
from resolvers.error_codes import bad_input, coded_rules, with_code

# The deepest operation a client needs (the widget's progress → milestone → issued reward →
# reward, inside a connection) is 8 levels; introspection fields are not counted.
MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 2000

(_depth,) = QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules
(_aliases,) = MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules
LIMIT_RULES = (with_code(_depth, "QUERY_TOO_DEEP"), with_code(_aliases, "TOO_MANY_ALIASES"))
NO_INTROSPECTION = with_code(NoSchemaIntrospectionCustomRule, "FORBIDDEN")

# PostgreSQL text cannot hold NUL, and no UTF-8 can hold a lone surrogate (JSON can carry both).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_TEXT = "Text may not contain NUL characters or unpaired surrogates."


def _has_unstorable_text(value: Any) -> bool:
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_unstorable_text(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_unstorable_text(v) for v in value)
    return False


class OperationLimits(SchemaExtension):
    """Adds the limits to every operation, and forbids introspection to every caller but
    ADMIN keys (the admin SPA generates its code from it)."""

    def on_operation(self) -> Iterator[None]:
        execution = self.execution_context
        execution.parse_options["max_tokens"] = MAX_TOKENS
        rules = LIMIT_RULES
        # Without a context, the schema is executed in-process (schema.introspect()), not
        # for a caller.
        if execution.context is not None and getattr(execution.context, "role", None) != Role.ADMIN:
            rules = (*rules, NO_INTROSPECTION)
        execution.validation_rules = (*coded_rules(tuple(execution.validation_rules)), *rules)
        yield

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        # A literal can only carry NUL as an escape: the parser refuses the raw character and
        # lone surrogate escapes.
        if "\\u0000" in (execution.query or "") or _has_unstorable_text(execution.variables):
            raise bad_input(UNSTORABLE_TEXT)
        yield
