"""Rewards (docs/concepts.md, "Rewards"): what a milestone gives, and what issuing it does.

A `Reward` is a milestone's reward definition with money in minor units of the shop's
currency. An issued reward keeps it as a snapshot, stored as JSON in the shape `to_json` gives
(the shape partners see as an event's `definition`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.core.calendar import shifted
from engine.core.enums import CODE_REWARDS, LedgerAccount, RewardKind

# The JSON keys each kind stores, in order.
_FIELDS: dict[RewardKind, tuple[str, ...]] = {
    RewardKind.POINTS: ("points",),
    RewardKind.STORE_CREDIT: ("currency", "amount"),
    RewardKind.FIXED_DISCOUNT: ("currency", "amount", "minimumSubtotal"),
    RewardKind.PERCENTAGE_DISCOUNT: ("currency", "percent", "minimumSubtotal"),
    RewardKind.FREE_SHIPPING: ("currency", "maxShippingAmount"),
    RewardKind.FREE_GIFT: ("productId", "variantId", "quantity", "productTitle"),
}
# Keys kept out of the JSON when they hold nothing (added after rewards were first stored).
_OPTIONAL = frozenset({"productTitle"})
_ATTRIBUTES = {
    "points": "points",
    "currency": "currency",
    "amount": "amount",
    "minimumSubtotal": "minimum_subtotal",
    "percent": "percent",
    "maxShippingAmount": "max_shipping_amount",
    "productId": "product_id",
    "variantId": "variant_id",
    "quantity": "quantity",
    "productTitle": "product_title",
}
MONEY_FIELDS = ("amount", "minimumSubtotal", "maxShippingAmount")


@dataclass(frozen=True)
class Reward:
    kind: RewardKind
    points: int | None = None
    currency: str | None = None
    amount: int | None = None  # minor units
    minimum_subtotal: int | None = None
    percent: str | None = None  # a plain decimal, e.g. "15" or "12.5"
    max_shipping_amount: int | None = None
    product_id: str | None = None
    variant_id: str | None = None
    quantity: int | None = None
    product_title: str | None = None  # a gift's name as shoppers read it

    @property
    def issues_code(self) -> bool:
        return self.kind in CODE_REWARDS

    def credit(self) -> tuple[LedgerAccount, int] | None:
        """The ledger movement issuing this reward makes: points or store credit, else None."""
        if self.kind == RewardKind.POINTS:
            return LedgerAccount.POINTS, int(self.points or 0)
        if self.kind == RewardKind.STORE_CREDIT:
            return LedgerAccount.STORE_CREDIT, int(self.amount or 0)
        return None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value} | {
            name: getattr(self, _ATTRIBUTES[name])
            for name in _FIELDS[self.kind]
            if name not in _OPTIONAL or getattr(self, _ATTRIBUTES[name]) is not None
        }

    @classmethod
    def from_json(cls, stored: dict[str, Any]) -> Reward:
        kind = RewardKind(stored["kind"])
        return cls(kind, **{_ATTRIBUTES[name]: stored.get(name) for name in _FIELDS[kind]})


def expiry(reward: Reward, expiry_days: int | None, now: datetime) -> datetime | None:
    """When a code issued now stops being redeemable (None: never)."""
    if not reward.issues_code or not expiry_days:
        return None
    return shifted(now, expiry_days)
