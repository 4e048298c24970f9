"""The `extensions.code` of every GraphQL error, named as Apollo Server names them, so that
clients and tools can tell a caller's mistake from a server failure without reading messages.

- `GRAPHQL_PARSE_FAILED`: the document is not GraphQL.
- `GRAPHQL_VALIDATION_FAILED`: it asks for what the schema does not have.
- `BAD_USER_INPUT`: an argument or variable value the caller got wrong (a bad `first`, cursor,
  id or time, a variable of the wrong type).
- `INTERNAL_SERVER_ERROR`: a failure nobody expected, with the request id (resolvers/masking.py).
- `UNAUTHENTICATED`, `FORBIDDEN`, `RATE_LIMITED` and the limits' own codes are set where those
  errors are raised. Mutation `userErrors` are answers, not errors, and keep their own codes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from graphql import GraphQLError, GraphQLSyntaxError, ValidationRule, ValuesOfCorrectTypeRule
from strawberry.extensions import SchemaExtension

from resolvers.masking import is_unexpected

BAD_USER_INPUT = "BAD_USER_INPUT"
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"


def bad_input(message: str) -> GraphQLError:
    """The error for an argument the caller got wrong."""
    return GraphQLError(message, extensions={"code": BAD_USER_INPUT})


def with_code(rule: type[ValidationRule], code: str) -> type[ValidationRule]:
    """The rule, with `extensions.code` on the errors it reports, whether it reports while
    visiting or, as the limiters do, straight to the context while it is created."""

    def coded(error: GraphQLError) -> GraphQLError:
        error.extensions = {**(error.extensions or {}), "code": code}
        return error

    class Coded(rule):  # type: ignore[misc, valid-type]
        def __init__(self, context) -> None:
            report = context.report_error
            context.report_error = lambda error: report(coded(error))
            try:
                super().__init__(context)
            finally:
                del context.report_error

        def report_error(self, error: GraphQLError) -> None:
            super().report_error(coded(error))

    return Coded


def label_syntax_errors(errors: Iterable[GraphQLError]) -> None:
    """The parser cache parses before any extension can see the outcome: a syntax error
    leaves the operation as an exception, and its code is given where the schema reports it."""
    _label([e for e in errors if isinstance(e, GraphQLSyntaxError)], PARSE_FAILED)


def _label(errors: Iterable[GraphQLError] | None, code: str) -> None:
    for error in errors or ():
        if is_unexpected(error) or (error.extensions or {}).get("code"):
            continue
        error.extensions = {**(error.extensions or {}), "code": code}


# A literal argument of the wrong type is found while validating, but it is a bad value.
_CODED_RULES = {ValuesOfCorrectTypeRule: with_code(ValuesOfCorrectTypeRule, BAD_USER_INPUT)}


class StandardErrorCodes(SchemaExtension):
    """Gives each error that has no code the one its phase implies."""

    def on_operation(self) -> Iterator[None]:
        execution = self.execution_context
        execution.validation_rules = tuple(_CODED_RULES.get(r, r) for r in execution.validation_rules)
        yield

    def on_validate(self) -> Iterator[None]:
        yield
        _label(self.execution_context.pre_execution_errors, VALIDATION_FAILED)

    def on_execute(self) -> Iterator[None]:
        yield
        # Left without a code after validation: the values of variables and arguments.
        result = self.execution_context.result
        _label(getattr(result, "errors", None), BAD_USER_INPUT)
