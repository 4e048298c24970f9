"""The one clock. Tests move time with `frozen`; everything else calls `now()`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from engine.core.activities import utc
from engine.core.calendar import EARLIEST, LATEST, shifted
from engine.core.errors import DomainError

__all__ = ["EARLIEST", "LATEST", "OutOfCalendar", "as_utc", "frozen", "now", "shifted", "utc_or_refuse"]

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    return _source()


class OutOfCalendar(ValueError):
    """A time that has no UTC equivalent between years 1 and 9999."""


def as_utc(value: datetime) -> datetime:
    """Interpret a naive datetime as UTC and convert an aware one to UTC. Raises
    OutOfCalendar when the conversion leaves the calendar (0001-01-01T00:00:00+14:00)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise OutOfCalendar(f"{value.isoformat()} is outside the years 1 to 9999 in UTC") from None


def utc_or_refuse(value: datetime, field: tuple) -> datetime:
    """`value` in UTC; INVALID at `field` when it has no offset or leaves the calendar in UTC."""
    moment = utc(value)
    if moment is None:
        raise DomainError.one("INVALID", "Give a time in ISO 8601 with an offset, within the calendar.", field)
    return moment


@contextmanager
def frozen(at: datetime) -> Iterator[Callable[[datetime], None]]:
    """Stop the clock at `at`; the yielded function moves it."""
    global _source
    previous = _source
    current = [as_utc(at)]

    def move(to: datetime) -> None:
        current[0] = as_utc(to)

    _source = lambda: current[0]  # noqa: E731
    try:
        yield move
    finally:
        _source = previous
