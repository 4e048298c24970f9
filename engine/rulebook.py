"""The rules an evaluation needs, read in one query per activity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from engine.enums import RefundPolicy, RuleStatus, RuleType
from models import sql


@dataclass(frozen=True)
class RuleRef:
    id: int
    name: str
    type: RuleType
    status: RuleStatus
    starts_at: datetime | None
    ends_at: datetime | None
    refund_policy: RefundPolicy
    reward_expiry_days: int | None
    # The rule's `updated_at` as stored: it moves with every change to the rule or its
    # milestones, so it tells whether a cached ladder is current (engine/ladders.py).
    version: Any = None

    def in_window(self, at: datetime) -> bool:
        """Whether activity at `at` lies in the rule's window (start inclusive, end exclusive)."""
        if self.starts_at is not None and at < self.starts_at:
            return False
        return self.ends_at is None or at < self.ends_at


_COLUMNS = "id, name, type, status, starts_at, ends_at, refund_policy, reward_expiry_days, updated_at"


def _ref(row: dict) -> RuleRef:
    return RuleRef(
        id=int(row["id"]),
        name=row["name"],
        type=RuleType(row["type"]),
        status=RuleStatus(row["status"]),
        starts_at=sql.to_datetime(row["starts_at"]),
        ends_at=sql.to_datetime(row["ends_at"]),
        refund_policy=RefundPolicy(row["refund_policy"]),
        reward_expiry_days=row["reward_expiry_days"],
        version=row["updated_at"],
    )


async def active_rules(
    conn: BaseDBAsyncClient, shop_id: int, types: frozenset[RuleType]
) -> list[RuleRef]:
    """The shop's ACTIVE rules of these types, in id order."""
    if not types:
        return []
    names = sorted(t.value for t in types)
    marks = ", ".join(f"${i + 2}" for i in range(len(names)))
    rows = await sql.fetch(
        conn,
        f"SELECT {_COLUMNS} FROM milestone_rules WHERE shop_id = $1 AND status = 'ACTIVE'"
        f" AND type IN ({marks}) ORDER BY id",
        shop_id,
        *names,
    )
    return [_ref(row) for row in rows]


async def rules_by_id(conn: BaseDBAsyncClient, shop_id: int, ids: list[int]) -> list[RuleRef]:
    if not ids:
        return []
    marks = ", ".join(f"${i + 2}" for i in range(len(ids)))
    rows = await sql.fetch(
        conn,
        f"SELECT {_COLUMNS} FROM milestone_rules WHERE shop_id = $1 AND id IN ({marks}) ORDER BY id",
        shop_id,
        *ids,
    )
    return [_ref(row) for row in rows]


async def rule_ref(conn: BaseDBAsyncClient, rule_id: int) -> RuleRef:
    row = await sql.fetch_one(conn, f"SELECT {_COLUMNS} FROM milestone_rules WHERE id = $1", rule_id)
    return _ref(row)
