"""Reward events as the engine writes them: the event a change appends, its stored payload,
and an issued reward read back with what its events tell (customer, rule, milestone)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.enums import RewardEventType, RuleType
from engine.rulebook import RuleRef
from models import sql


@dataclass
class PendingEvent:
    type: RewardEventType
    rule: RuleRef
    milestone: dict[str, Any]
    reward_id: int
    kind: str
    definition: dict[str, Any]
    status: str
    code: str | None
    expires_at: datetime | None
    issued_at: datetime


def event_payload(customer_id: int, customer_external_id: str, event: PendingEvent) -> dict[str, Any]:
    """The stored `payload` of a reward event."""
    return {
        "customer": {"id": customer_id, "externalId": customer_external_id},
        "rule": {"id": event.rule.id, "name": event.rule.name, "type": event.rule.type.value},
        "milestone": {
            "id": int(event.milestone["id"]),
            "position": int(event.milestone["position"]),
            "threshold": int(event.milestone["threshold"]),
            "stepMetric": event.milestone.get("step_metric"),
        },
        "reward": {
            "id": event.reward_id,
            "kind": event.kind,
            "status": event.status,
            "code": event.code,
            "expiresAt": event.expires_at.isoformat() if event.expires_at else None,
            "issuedAt": event.issued_at.isoformat(),
            "definition": event.definition,
        },
    }


SELECT_WITH_CONTEXT = (
    "SELECT r.id, r.shop_id, r.customer_id, r.status, r.kind, r.reward, r.code, r.expires_at,"
    " r.issued_at, r.rule_id, m.id AS milestone_id, m.position, m.threshold, m.step_metric,"
    " c.external_id, u.name AS rule_name, u.type AS rule_type"
    " FROM issued_rewards r JOIN milestones m ON m.id = r.milestone_id"
    " JOIN customers c ON c.id = r.customer_id JOIN milestone_rules u ON u.id = r.rule_id"
)


def event_of(row: dict[str, Any], type: RewardEventType, status: str) -> PendingEvent:
    """The event reporting that the reward in `row` moved to `status`."""
    rule = RuleRef(
        int(row["rule_id"]), row["rule_name"], RuleType(row["rule_type"]), None, None, None, None, None
    )
    return PendingEvent(
        type,
        rule,
        {
            "id": row["milestone_id"],
            "position": row["position"],
            "threshold": row["threshold"],
            "step_metric": row["step_metric"],
        },
        int(row["id"]),
        row["kind"],
        sql.from_json(row["reward"]),
        status,
        row["code"],
        sql.to_datetime(row["expires_at"]),
        sql.to_datetime(row["issued_at"]),
    )
