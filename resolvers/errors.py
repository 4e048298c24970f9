"""The one place domain errors become `userErrors`."""

from __future__ import annotations

from enum import Enum

import strawberry

from engine.core.errors import DomainError


@strawberry.enum
class UserErrorCode(Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    PLAN_REQUIRED = "PLAN_REQUIRED"
    THRESHOLDS_NOT_INCREASING = "THRESHOLDS_NOT_INCREASING"
    INVALID_STATUS_TRANSITION = "INVALID_STATUS_TRANSITION"
    TYPE_LOCKED = "TYPE_LOCKED"
    PERIOD_LOCKED = "PERIOD_LOCKED"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    REFUND_EXCEEDS_ORDER = "REFUND_EXCEEDS_ORDER"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
    OCCURRED_AT_IN_FUTURE = "OCCURRED_AT_IN_FUTURE"
    REWARD_ALREADY_REDEEMED = "REWARD_ALREADY_REDEEMED"
    REWARD_EXPIRED = "REWARD_EXPIRED"
    REWARD_REVOKED = "REWARD_REVOKED"
    NOT_A_CODE_REWARD = "NOT_A_CODE_REWARD"
    REWARD_ALREADY_CHOSEN = "REWARD_ALREADY_CHOSEN"
    NOT_A_CHOICE_REWARD = "NOT_A_CHOICE_REWARD"


@strawberry.type(description="A problem with a mutation's input; the mutation changed nothing.")
class UserError:
    field: list[str] | None = strawberry.field(
        description="Path to the input field, e.g. [\"input\", \"milestones\", \"2\", \"threshold\"]."
    )
    code: UserErrorCode
    message: str


def user_errors(
    error: DomainError,
    prefix: str | tuple[str, ...] | None = "input",
    top_level: frozenset[str] = frozenset({"id"}),
) -> list[UserError]:
    """Map a DomainError to userErrors, putting input-relative paths under `prefix`: an
    argument's name, or a path into a list argument (`("inputs", "3", "order")`), under which
    every problem goes, even one of the item as a whole."""
    result = []
    for problem in error.problems:
        path = [str(part) for part in problem.field]
        if isinstance(prefix, tuple):
            path = [*prefix, *path]
        elif prefix and path and path[0] not in top_level:
            path = [prefix, *path]
        result.append(
            UserError(field=path or None, code=UserErrorCode(problem.code), message=problem.message)
        )
    return result
