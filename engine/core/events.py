"""Reward events (docs/concepts.md, "Events"): what the log stores of each one.

Every issued, redeemed, expired or revoked reward appends an event; its stored payload holds
what a partner needs to act on it without another read (the customer, the rule, the
milestone, the reward as it stands at this event).
"""

from __future__ import annotations

from typing import Any

from engine.core.decisions import Event


def stored_payload(event: Event, customer_external_id: str, reward_id: int) -> dict[str, Any]:
    """The `payload` of a reward event as the log stores it."""
    grant, rule, milestone = event.grant, event.rule, event.grant.milestone
    payload: dict[str, Any] = {
        "customer": {"id": grant.customer_id, "externalId": customer_external_id},
        "rule": {"id": rule.id, "name": rule.name, "type": rule.type.value},
        "milestone": {
            "id": milestone.id,
            "position": milestone.position,
            "threshold": milestone.threshold,
            "stepMetric": milestone.step_metric.value if milestone.step_metric else None,
        },
        "reward": {
            "id": reward_id,
            "kind": grant.reward.kind.value,
            "status": event.status.value,
            "code": grant.code,
            "expiresAt": grant.expires_at.isoformat() if grant.expires_at else None,
            "issuedAt": grant.issued_at.isoformat(),
            "definition": grant.reward.to_json(),
        },
    }
    if grant.options:  # a customer's choice: what it offers(ed)
        payload["reward"]["options"] = [option.to_json() for option in grant.options]
    return payload
