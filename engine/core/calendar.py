"""The ends of the calendar: a time shifted past them is held there instead of overflowing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)


def shifted(value: datetime, days: int) -> datetime:
    """`value` moved by whole `days`, held at the ends of the calendar: a cutoff 10^12 days
    back is simply before everything, a code issued on 9999-12-30 expires on the last day."""
    try:
        return value + timedelta(days=days)
    except OverflowError:
        return EARLIEST if days < 0 else LATEST
