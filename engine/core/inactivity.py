"""INACTIVITY rules: whole days since the customer's last activity of any kind.

The sweep grants them, at most once per milestone per inactivity episode. An episode starts at
the customer's last activity; any newer activity starts a new one.
"""

from __future__ import annotations

from datetime import datetime

from engine.core.grants import GrantKey

SECONDS_PER_DAY = 86400


def episode(last_activity_at: datetime) -> GrantKey:
    """The grant key of the episode that began at `last_activity_at`."""
    return GrantKey(episode=last_activity_at)


def inactive_days(last_activity_at: datetime, as_of: datetime) -> int:
    """Whole days from `last_activity_at` to `as_of` (0 when `as_of` is earlier)."""
    return max(0, int((as_of - last_activity_at).total_seconds() // SECONDS_PER_DAY))
