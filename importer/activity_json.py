"""One activity in the GraphQL JSON shape of `ActivityInput`, as `recordActivities` takes it:

    {"order": {"customerExternalId": "c1", "orderId": "1001", "total": "12.50", "currency": "USD"}}

The members and their fields are read from the schema's own input types
(resolvers/activity/inputs.py), and each is turned into the engine's input by the same
`to_activity` the mutations use, so that a line imports exactly as the mutation records it.
Values are checked as the API's scalars check them (String, Int, Decimal, DateTime).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.types.base import StrawberryOptional
from strawberry.utils.str_converters import to_camel_case

from engine.core.activities import ActivityInput
from engine.core.enums import ActivityKind
from engine.core.errors import DomainError
from engine.services import clock
from importer.lines import Entry, FileRefused, Read, Rejected, text_lines
from resolvers.activity.inputs import MEMBERS
from resolvers.times import parse_datetime


class Unusable(ValueError):
    """A value of the line that the API would refuse; the message names its field."""


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"String cannot represent {value!r}")
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"Int cannot represent {value!r}")
    return value


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise ValueError(f"Decimal cannot represent {value!r}")
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ValueError(f"Decimal cannot represent {value!r}") from None


def _datetime(value: Any) -> Any:
    # The common case first: an ISO 8601 time with an offset that Python reads itself.
    if isinstance(value, str) and len(value) > 19 and value[10:11] == "T":
        try:
            moment = datetime.fromisoformat(value)
            if moment.utcoffset() is not None:
                return clock.as_utc(moment)
        except (ValueError, clock.OutOfCalendar):
            pass
    try:
        return parse_datetime(value)
    except StrawberryInputCoercionError as error:
        raise ValueError(str(error)) from None


_PARSERS: dict[Any, Callable[[Any], Any]] = {str: _string, int: _int, Decimal: _decimal, datetime: _datetime}


@dataclass(frozen=True)
class _Field:
    python_name: str
    name: str
    parse: Callable[[Any], Any]
    required: bool


@dataclass(frozen=True)
class _Member:
    name: str
    make: type
    fields: dict[str, _Field]  # by schema name


def _member(name: str, input_type: type) -> _Member:
    fields = {}
    for field in input_type.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        kind = field.type
        optional = isinstance(kind, StrawberryOptional)
        graphql_name = field.graphql_name or to_camel_case(field.python_name)
        parse = _PARSERS[kind.of_type if optional else kind]
        fields[graphql_name] = _Field(field.python_name, graphql_name, parse, not optional)
    return _Member(name, input_type, fields)


_MEMBERS = {graphql_name: _member(graphql_name, input_type) for _, graphql_name, input_type in MEMBERS}
KINDS = ", ".join(_MEMBERS)
# The member each kind of the engine is given under: it begins the field of a problem.
MEMBER_OF = {
    ActivityKind.ORDER_PLACED: "order", ActivityKind.ORDER_REFUNDED: "refund",
    ActivityKind.REVIEW_POSTED: "review", ActivityKind.REFERRAL_COMPLETED: "referral",
    ActivityKind.SUBSCRIPTION_BILLED: "subscriptionBilling",
    ActivityKind.SUBSCRIPTION_CANCELLED: "subscriptionCancellation",
    ActivityKind.POINTS_EARNED: "pointsEarned", ActivityKind.SIGNUP: "signup",
}


_JSON = json.JSONDecoder(parse_float=Decimal)


def parse_line(text: str) -> dict[str, Any]:
    """A line's JSON object (numbers with a fraction as Decimal); a line that is not one
    refuses the file (it is not JSON lines, or it was cut short)."""
    try:
        value = _JSON.decode(text)
    except json.JSONDecodeError as error:
        raise FileRefused(f"is not JSON ({error.msg} at column {error.colno}; was the file cut short?)") from None
    if not isinstance(value, dict):
        raise FileRefused("is not a JSON object")
    return value


def member_of(value: dict[str, Any]) -> tuple[str, Any]:
    """The one kind a line names; another shape refuses the file."""
    if len(value) != 1:
        raise FileRefused(f"names {len(value)} kinds; give exactly one of {KINDS}")
    [(name, fields)] = value.items()
    if name not in _MEMBERS:
        raise FileRefused(f"names the unknown kind {name!r}; the kinds are {KINDS}")
    return name, fields


def activity_of(value: dict[str, Any]) -> ActivityInput:
    """The engine's input for one line's object; raises Unusable for a value the API would
    refuse (FileRefused for a line of another shape)."""
    name, fields = member_of(value)
    member = _MEMBERS[name]
    if not isinstance(fields, dict):
        raise Unusable(f"{name}: expected an object of {member.make.__name__} fields")
    arguments = {}
    for key, given in fields.items():
        field = member.fields.get(key)
        if field is None:
            raise Unusable(f"{name}.{key}: {member.make.__name__} has no field {key!r}")
        if given is None:
            if field.required:
                raise Unusable(f"{name}.{key}: is required")
            continue
        try:
            arguments[field.python_name] = field.parse(given)
        except ValueError as error:
            raise Unusable(f"{name}.{key}: {error}") from None
    missing = [f.name for f in member.fields.values() if f.required and f.python_name not in arguments]
    if missing:
        raise Unusable(f"{name}: {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} required")
    try:
        return member.make(**arguments).to_activity()
    except DomainError as error:
        raise Unusable(problems_text(error, (name,))) from None


def problems_text(error: DomainError, prefix: tuple[str, ...] = ()) -> str:
    """A domain error's problems in one line: `CODE at order.total: message`."""
    parts = []
    for problem in error.problems:
        path = ".".join(str(p) for p in (*prefix, *problem.field))
        parts.append(f"{problem.code}{f' at {path}' if path else ''}: {problem.message}")
    return "; ".join(parts)


def entries(path: Path, shape_only: bool = False) -> Iterator[Entry]:
    """An NDJSON file's activities, one a line (blank lines are passed over). With
    `shape_only`, only what would refuse the file is checked, and nothing is yielded."""
    seen_any = False
    for line, text in text_lines(path):
        if not text.strip():
            continue
        seen_any = True
        try:
            value = parse_line(text)
            if shape_only:
                member_of(value)
                continue
            yield Read(line, activity_of(value))
        except FileRefused as error:
            raise FileRefused(f"line {line} {error}") from None
        except Unusable as error:
            yield Rejected(line, str(error))
    if not seen_any:
        raise FileRefused(f"{path.name} is empty")
