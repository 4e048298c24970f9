"""Issuing a milestone's reward: its snapshot, and for code rewards a code and an expiry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine import clock, codes
from engine.enums import CODE_REWARDS, RewardKind
from engine.rulebook import RuleRef
from models import sql


@dataclass(frozen=True)
class NewReward:
    """What issuing a milestone's reward gives, before it is stored."""

    kind: RewardKind
    definition: dict[str, Any]
    code: str | None
    expires_at: datetime | None


def new_reward(rule: RuleRef, milestone: dict[str, Any], now: datetime) -> NewReward:
    definition = sql.from_json(milestone["reward"])
    kind = RewardKind(definition["kind"])
    code = codes.new_code() if kind in CODE_REWARDS else None
    expires_at = None
    if code and rule.reward_expiry_days:
        expires_at = clock.shifted(now, rule.reward_expiry_days)
    return NewReward(kind, definition, code, expires_at)
