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

from collections.abc import Iterable
from functools import lru_cache

from graphql import GraphQLError, GraphQLSyntaxError, ValidationRule, ValuesOfCorrectTypeRule

from resolvers.masking import is_unexpected
from wire import ids

BAD_USER_INPUT = "BAD_USER_INPUT"
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"


def bad_input(message: str) -> GraphQLError:
    """The error for an argument the caller got wrong."""
    return GraphQLError(message, extensions={"code": BAD_USER_INPUT})


def argument_pk(type_name: str, value: str, argument: str = "id") -> int:
    """The primary key in a query argument's global id; BAD_USER_INPUT when the argument is
    not a global id of `type_name` (an unknown one of the right form is the caller's null)."""
    pk = ids.decode(type_name, value)
    if pk is None:
        raise bad_input(f"`{argument}` is not a {type_name} id ({ids.PREFIX}{type_name}/<number>).")
    return pk


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


# A literal argument of the wrong type is found while validating, but it is a bad value.
_CODED_VALUES = with_code(ValuesOfCorrectTypeRule, BAD_USER_INPUT)


@lru_cache(maxsize=8)
def coded_rules(rules: tuple[type[ValidationRule], ...]) -> tuple[type[ValidationRule], ...]:
    """The validation rules, the one that checks values reporting BAD_USER_INPUT. Always the
    same classes for the same rules, so the validation cache keeps working."""
    return tuple(_CODED_VALUES if rule is ValuesOfCorrectTypeRule else rule for rule in rules)


def label_errors(errors: Iterable[GraphQLError], execution_context) -> None:
    """Give each error without a code the one its phase implies. Called as the schema
    reports errors, before unexpected ones are masked: errors of parsing and validation come
    before any result exists; those left without a code after execution are bad values of
    variables and arguments."""
    executed = getattr(execution_context, "result", None) is not None
    for error in errors:
        if is_unexpected(error) or (error.extensions or {}).get("code"):
            continue
        if isinstance(error, GraphQLSyntaxError):
            code = PARSE_FAILED
        else:
            code = BAD_USER_INPUT if executed else VALIDATION_FAILED
        error.extensions = {**(error.extensions or {}), "code": code}
