"""The one id codec: global ids look like `gid://milestones/MilestoneRule/42`; cursors are
opaque strings around a position."""

from __future__ import annotations

import base64
import binascii

from engine.core.errors import not_found

PREFIX = "gid://milestones/"


def encode(type_name: str, pk: int) -> str:
    return f"{PREFIX}{type_name}/{pk}"


def parse(value: str) -> tuple[str, int] | None:
    """The type name and primary key of a global id, or None when it is not one."""
    if not isinstance(value, str) or not value.startswith(PREFIX):
        return None
    kind, _, raw = value[len(PREFIX) :].partition("/")
    if not kind or not raw.isdigit() or len(raw) > 18:
        return None
    return kind, int(raw)


def decode(type_name: str, value: str) -> int | None:
    """The primary key in a global id of `type_name`, or None when it is not one."""
    parsed = parse(value)
    return parsed[1] if parsed is not None and parsed[0] == type_name else None


def encode_cursor(value: int) -> str:
    return base64.urlsafe_b64encode(f"c:{value}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not raw.startswith("c:") or not raw[2:].isdigit() or len(raw) > 22:
        return None
    return int(raw[2:])


def encode_keyset_cursor(order: str, value: str, pk: int) -> str:
    """A cursor of a page sorted by something other than id: the sort, its value, the id."""
    return base64.urlsafe_b64encode(f"k:{order}:{pk}:{value}".encode()).decode().rstrip("=")


def decode_keyset_cursor(cursor: str, order: str) -> tuple[str, int] | None:
    """(value, id) of a cursor made for `order`; None for any other cursor."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    kind, _, rest = raw.partition(":")
    sort, _, rest = rest.partition(":")
    pk, _, value = rest.partition(":")
    if kind != "k" or sort != order or not pk.isdigit() or len(pk) > 18 or len(raw) > 200:
        return None
    return value, int(pk)


def pk_of(type_name: str, value: str, what: str, field: tuple = ("id",)) -> int:
    """The primary key in a global id of `type_name`; NOT_FOUND (a user error) otherwise."""
    pk = decode(type_name, value)
    if pk is None:
        raise not_found(what, field)
    return pk
