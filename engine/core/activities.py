"""Activity (docs/concepts.md, "Activity"): what the store reports, and its validation."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from engine.core.enums import ActivityKind
from engine.core.errors import Problems
from engine.core.money import MoneyError, to_minor

FUTURE_TOLERANCE = timedelta(minutes=5)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
MAX_ID_LENGTH = 255
MAX_POINTS = 10**9

# The field that carries each kind's own id: it names the idempotency key in errors.
ID_FIELD = {
    ActivityKind.ORDER_PLACED: "orderId",
    ActivityKind.ORDER_REFUNDED: "refundId",
    ActivityKind.REVIEW_POSTED: "reviewId",
    ActivityKind.REFERRAL_COMPLETED: "referralId",
    ActivityKind.SUBSCRIPTION_BILLED: "billingId",
    ActivityKind.SUBSCRIPTION_CANCELLED: "cancellationId",
    ActivityKind.POINTS_EARNED: "entryId",
    ActivityKind.SIGNUP: "customerExternalId",
}


@dataclass
class ActivityInput:
    """One reported activity. `external_id` is the kind's own id (order id, refund id, …)."""

    kind: ActivityKind
    customer_external_id: str
    external_id: str
    occurred_at: datetime | None = None
    email: str | None = None
    amount: Decimal | None = None  # order total or refund amount
    currency: str | None = None
    order_id: str | None = None  # for refunds
    contract_id: str | None = None  # for billings and cancellations
    points: int | None = None
    source: str | None = None


@dataclass
class Activity:
    """A validated activity: money in minor units, time resolved."""

    kind: ActivityKind
    customer_external_id: str
    external_id: str
    occurred_at: datetime
    payload: dict[str, Any]
    payload_hash: str
    email: str | None = None
    amount: int = 0
    order_id: str | None = None
    contract_id: str | None = None
    points: int = 0
    id: int | None = None  # the stored activity's id, once recorded

    @property
    def subject_id(self) -> str | None:
        """What the activity is about besides the customer: a refund's order, a billing's or
        cancellation's contract."""
        return self.order_id if self.kind == ActivityKind.ORDER_REFUNDED else self.contract_id

    @property
    def stored_id(self) -> int:
        """The id of an activity already recorded."""
        if self.id is None:
            raise ValueError("this activity was not recorded yet")
        return self.id

    def stored_as(self, activity_id: int) -> Activity:
        return replace(self, id=activity_id)


def _text(problems: Problems, value: str | None, name: str, required: bool = True) -> str | None:
    if value is None or value == "":
        if required:
            problems.add("INVALID", f"{name} is required.", (name,))
        return None
    if len(value) > MAX_ID_LENGTH or not value.isprintable():
        problems.add("INVALID", f"{name} must be 1 to {MAX_ID_LENGTH} printable characters.", (name,))
        return None
    return value


def utc(value: datetime) -> datetime | None:
    """`value` in UTC, or None when it has no offset or lies outside the calendar in UTC
    (`0001-01-01T00:00:00+14:00`)."""
    if value.tzinfo is None or value.utcoffset() is None:
        return None
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return None


def validate(data: ActivityInput, shop_currency: str, now: datetime) -> Activity:
    """Check an activity's shape (docs/concepts.md, "Activity"); what depends on stored state
    (the refunded order, the contract) is checked when it is evaluated."""
    problems = Problems()
    kind = ActivityKind(data.kind)
    _text(problems, data.customer_external_id, "customerExternalId")
    if kind != ActivityKind.SIGNUP:
        _text(problems, data.external_id, ID_FIELD[kind])
    occurred_at = now if data.occurred_at is None else utc(data.occurred_at)
    if occurred_at is None:
        problems.add(
            "INVALID", "occurredAt must be an ISO 8601 time with an offset, after 1970.", ("occurredAt",)
        )
        occurred_at = now
    elif occurred_at > now + FUTURE_TOLERANCE:
        problems.add(
            "OCCURRED_AT_IN_FUTURE", "occurredAt is more than 5 minutes in the future.", ("occurredAt",)
        )
    elif occurred_at < EARLIEST:
        problems.add("INVALID", "occurredAt is before 1970.", ("occurredAt",))
    if data.email is not None and (len(data.email) > 320 or "@" not in data.email):
        problems.add("INVALID", "email is not an email address.", ("email",))

    amount = 0
    payload: dict[str, Any] = {"customerExternalId": data.customer_external_id}
    if kind == ActivityKind.ORDER_PLACED:
        currency = (data.currency or "").upper()
        if currency != shop_currency:
            problems.add(
                "CURRENCY_MISMATCH",
                f"The order is in {data.currency!r}; the shop's currency is {shop_currency}.",
                ("currency",),
            )
        amount = _amount(problems, data.amount, shop_currency, "total", allow_zero=True)
        payload.update(orderId=data.external_id, total=amount, currency=currency)
    elif kind == ActivityKind.ORDER_REFUNDED:
        _text(problems, data.order_id, "orderId")
        amount = _amount(problems, data.amount, shop_currency, "amount", allow_zero=False)
        payload.update(refundId=data.external_id, orderId=data.order_id, amount=amount)
    elif kind == ActivityKind.SUBSCRIPTION_BILLED:
        _text(problems, data.contract_id, "contractId")
        payload.update(billingId=data.external_id, contractId=data.contract_id)
    elif kind == ActivityKind.SUBSCRIPTION_CANCELLED:
        _text(problems, data.contract_id, "contractId")
        payload.update(cancellationId=data.external_id, contractId=data.contract_id)
    elif kind == ActivityKind.POINTS_EARNED:
        if data.points is None or not 1 <= data.points <= MAX_POINTS:
            problems.add("INVALID", f"points must be between 1 and {MAX_POINTS}.", ("points",))
        _text(problems, data.source, "source", required=False)
        payload.update(entryId=data.external_id, points=data.points, source=data.source)
    elif kind != ActivityKind.SIGNUP:
        payload[ID_FIELD[kind]] = data.external_id
    if data.occurred_at is not None:
        payload["occurredAt"] = occurred_at.isoformat()
    if data.email is not None:
        # The same id sent again with another email is a conflict, as for any other field.
        payload["email"] = data.email
    problems.raise_if_any()
    canonical = json.dumps({"kind": kind.value, **payload}, sort_keys=True, separators=(",", ":"))
    return Activity(
        kind=kind,
        customer_external_id=data.customer_external_id,
        external_id=data.external_id if kind != ActivityKind.SIGNUP else data.customer_external_id,
        occurred_at=occurred_at,
        payload=payload,
        payload_hash=hashlib.sha256(canonical.encode()).hexdigest(),
        email=data.email,
        amount=amount,
        order_id=data.order_id,
        contract_id=data.contract_id,
        points=data.points or 0,
    )


def _amount(
    problems: Problems, value: Decimal | None, currency: str, name: str, *, allow_zero: bool
) -> int:
    if value is None or not Decimal(value).is_finite():
        problems.add("INVALID", f"{name} must be a number.", (name,))
        return 0
    if value < 0 or (value == 0 and not allow_zero):
        problems.add("INVALID", f"{name} must be {'at least' if allow_zero else 'more than'} 0.", (name,))
        return 0
    try:
        return to_minor(value, currency)
    except MoneyError as exc:
        problems.add("INVALID", f"Invalid {name}: {exc}.", (name,))
        return 0
