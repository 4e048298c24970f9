"""The `DateTime` scalar: ISO 8601 with an offset (docs/concepts.md, "Activity"), read as UTC at the boundary.

A string that is no date at all is refused while the request's values are read, like any
malformed scalar (BAD_USER_INPUT). A well-formed time the API cannot use (no offset, or no
UTC equivalent inside the calendar, such as `0001-01-01T00:00:00+14:00`) is carried to the
resolver as an `UnusableTime`, so that a mutation can answer it as a `userErrors` entry at
the field that held it and change nothing. The engine only ever sees aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import dateutil.parser
from graphql import GraphQLError
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.types.scalar import ScalarDefinition

from engine.core.errors import DomainError, Path
from engine.services import clock


@dataclass(frozen=True)
class UnusableTime:
    """A DateTime value that parsed but cannot be used; `reason` completes "<field> ..."."""

    text: str
    reason: str


def parse_datetime(value: object) -> datetime | UnusableTime:
    if not isinstance(value, str):
        raise StrawberryInputCoercionError(
            f"DateTime cannot represent {value!r}: give an ISO 8601 string with an offset."
        )
    try:
        parsed = dateutil.parser.isoparse(value)
    except OverflowError:
        return UnusableTime(value, "is outside the years 1 to 9999 in UTC.")
    except ValueError:
        raise StrawberryInputCoercionError(
            f"DateTime cannot represent {value[:80]!r}: give an ISO 8601 time with an offset, "
            "such as 2026-01-15T10:30:00+00:00."
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return UnusableTime(
            value, f"has no UTC offset: write it as {parsed.isoformat()}+00:00 (or with Z) for UTC."
        )
    try:
        return clock.as_utc(parsed)
    except clock.OutOfCalendar:
        return UnusableTime(value, "is outside the years 1 to 9999 in UTC.")


def serialize_datetime(value: datetime) -> str:
    return value.isoformat()


DATETIME = ScalarDefinition(
    name="DateTime",
    description="An ISO 8601 date and time with a UTC offset, e.g. `2026-01-15T10:30:00+00:00` "
    "(or `Z`). Times are answered in UTC; one without an offset is refused.",
    specified_by_url=None,
    serialize=serialize_datetime,
    parse_value=parse_datetime,
    parse_literal=None,
    origin=datetime,
)


def input_time(value: datetime | UnusableTime | None, field: Path) -> datetime | None:
    """A mutation input's time, UTC; an unusable one is INVALID at `field` (a user error)."""
    if isinstance(value, UnusableTime):
        name = next((str(part) for part in reversed(field) if isinstance(part, str)), "The time")
        raise DomainError.one("INVALID", f"{name} {value.reason}", field)
    return value


def argument_time(value: datetime | UnusableTime | None, name: str) -> datetime | None:
    """A query argument's time, UTC; an unusable one is a BAD_USER_INPUT error."""
    if isinstance(value, UnusableTime):
        raise GraphQLError(f"`{name}` {value.reason}", extensions={"code": "BAD_USER_INPUT"})
    return value
