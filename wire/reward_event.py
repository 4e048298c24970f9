"""The one public form of a reward event: the subscription's and the query's `data`, and the
body of every webhook delivery, so that all three always agree. It belongs to neither GraphQL
nor webhook delivery: both render through it.

The engine stores raw ids and money in minor units; partners see global ids, money as
decimal strings in the shop's currency, and the event's own id and cursor.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from engine.core.drafts import threshold_decimal
from engine.core.money import from_minor
from models import RewardEvent
from wire import ids

MONEY_FIELDS = ("amount", "minimumSubtotal", "maxShippingAmount")


def event_id(row: RewardEvent) -> str:
    return ids.encode("RewardEvent", row.id)


def event_cursor(row: RewardEvent) -> str:
    return ids.encode_cursor(row.seq)


def _iso(value: Any) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _definition(stored: dict[str, Any], currency: str) -> dict[str, Any]:
    money_currency = stored.get("currency") or currency
    public = dict(stored)
    for name in MONEY_FIELDS:
        if public.get(name) is not None:
            public[name] = str(from_minor(public[name], money_currency))
    return public


def _milestone(
    milestone_id: int, stored: dict[str, Any], rule: dict[str, Any], currency: str
) -> dict[str, Any]:
    public: dict[str, Any] = {"id": ids.encode("Milestone", milestone_id)}
    if "position" in stored:
        public["position"] = stored["position"]
    # A MIXED step's unit is its metric's: without it the threshold cannot be shown right.
    known_unit = rule.get("type") and (rule["type"] != "MIXED" or stored.get("stepMetric"))
    if stored.get("threshold") is not None and known_unit:
        public["threshold"] = str(
            threshold_decimal(rule["type"], stored.get("stepMetric"), stored["threshold"], currency)
        )
    if stored.get("stepMetric"):
        public["stepMetric"] = stored["stepMetric"]
    return public


def render(row: RewardEvent, currency: str) -> dict[str, Any]:
    """The public JSON of one event; `currency` is its shop's."""
    payload = row.payload or {}
    customer = payload.get("customer") or {}
    rule = payload.get("rule") or {}
    reward = payload.get("reward") or {}
    public: dict[str, Any] = {
        "id": event_id(row),
        "cursor": event_cursor(row),
        "type": row.type,
        "occurredAt": _iso(row.created_at),
        "customer": {
            "id": ids.encode("Customer", row.customer_id),
            "externalId": customer.get("externalId"),
        },
        "rule": {
            "id": ids.encode("MilestoneRule", row.rule_id),
            "name": rule.get("name"),
            "type": rule.get("type"),
        },
        "milestone": _milestone(row.milestone_id, payload.get("milestone") or {}, rule, currency),
        "reward": {
            "id": ids.encode("IssuedReward", row.issued_reward_id),
            "kind": reward.get("kind"),
            "status": reward.get("status"),
            "code": reward.get("code"),
            "expiresAt": reward.get("expiresAt"),
            "issuedAt": reward.get("issuedAt"),
            "definition": _definition(reward.get("definition") or {}, currency),
        },
    }
    if reward.get("options"):  # a customer's choice: the rewards it offers
        public["reward"]["options"] = [_definition(option, currency) for option in reward["options"]]
    return public


class RenderedEvents:
    """The public form of recently rendered events. A committed event never changes, and it
    goes to every subscription, poll and webhook endpoint of its shop: each is rendered once."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._items: OrderedDict[tuple[int, str], dict[str, Any]] = OrderedDict()

    def get(self, row: RewardEvent, currency: str) -> dict[str, Any]:
        key = (row.id, currency)
        found = self._items.get(key)
        if found is None:
            found = self._items[key] = render(row, currency)
            if len(self._items) > self.size:
                self._items.popitem(last=False)
        return found


rendered = RenderedEvents()


def body(row: RewardEvent, currency: str) -> bytes:
    """The event as a webhook delivery's body: its public JSON, compact."""
    return json.dumps(rendered.get(row, currency), separators=(",", ":")).encode()
