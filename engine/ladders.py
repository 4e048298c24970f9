"""A rule's live milestones (its ladder), kept in memory between activities.

Reading the milestones an activity may cross cost one query per rule it feeds, the largest
share of an activity's statements. Milestones change only together with their rule, and every
change to a rule moves its `updated_at`; the rulebook reads that with the rules, so the first
activity after a change, in any process, reads the new ladder.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from models import sql

# Past this many rules the cache starts afresh; a shop has tens of rules, not thousands.
MAX_RULES = 5000


@dataclass(frozen=True)
class Ladder:
    by_position: tuple[dict[str, Any], ...]
    by_threshold: tuple[dict[str, Any], ...]
    thresholds: tuple[int, ...]

    def between(self, low: int, high: int) -> list[dict[str, Any]]:
        """The milestones with low < threshold <= high, by threshold then position."""
        start = bisect_right(self.thresholds, low)
        return list(self.by_threshold[start : bisect_right(self.thresholds, high)])

    def step(self, index: int) -> dict[str, Any] | None:
        """A MIXED rule's step at `index` (its live milestones in position order)."""
        return self.by_position[index] if 0 <= index < len(self.by_position) else None


_ladders: dict[int, tuple[datetime | None, Ladder]] = {}


def _milestone(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": int(row["id"]),
        "position": int(row["position"]),
        "threshold": int(row["threshold"]),
        "step_metric": row["step_metric"],
        "reward": sql.from_json(row["reward"]),
    }


async def ladder(conn: BaseDBAsyncClient, rule_id: int, version: datetime | None) -> Ladder:
    """The rule's live milestones as of `version` (the rule's `updated_at`)."""
    cached = _ladders.get(rule_id)
    if cached is not None and version is not None and cached[0] == version:
        return cached[1]
    rows = await sql.fetch(
        conn,
        "SELECT id, position, threshold, step_metric, reward FROM milestones"
        " WHERE rule_id = $1 AND retired_at IS NULL ORDER BY position",
        rule_id,
    )
    by_position = tuple(_milestone(row) for row in rows)
    by_threshold = tuple(sorted(by_position, key=lambda m: (m["threshold"], m["position"])))
    found = Ladder(by_position, by_threshold, tuple(m["threshold"] for m in by_threshold))
    if len(_ladders) >= MAX_RULES:
        _ladders.clear()
    _ladders[rule_id] = (version, found)
    return found
