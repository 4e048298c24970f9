"""Inputs of the record* mutations: the store's customer id, the event's own id, its data."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from engine.core.activities import ActivityInput as Reported
from engine.core.enums import ActivityKind
from resolvers.times import input_time

OCCURRED_AT = "When it happened (default now); at most 5 minutes in the future."


def _occurred(data) -> datetime | None:
    return input_time(data.occurred_at, ("occurredAt",))


@strawberry.input
class RecordOrderInput:
    customer_external_id: str
    order_id: str
    total: Decimal
    currency: str
    occurred_at: datetime | None = strawberry.field(default=None, description=OCCURRED_AT)
    email: str | None = None

    def to_activity(self) -> Reported:
        return Reported(
            ActivityKind.ORDER_PLACED, self.customer_external_id, self.order_id,
            _occurred(self), self.email, amount=self.total, currency=self.currency,
        )


@strawberry.input
class RecordRefundInput:
    customer_external_id: str
    refund_id: str
    order_id: str
    amount: Decimal
    occurred_at: datetime | None = strawberry.field(default=None, description=OCCURRED_AT)

    def to_activity(self) -> Reported:
        return Reported(
            ActivityKind.ORDER_REFUNDED, self.customer_external_id, self.refund_id,
            _occurred(self), amount=self.amount, order_id=self.order_id,
        )


@strawberry.input
class RecordReviewInput:
    customer_external_id: str
    review_id: str
    occurred_at: datetime | None = strawberry.field(default=None, description=OCCURRED_AT)

    def to_activity(self) -> Reported:
        return Reported(
            ActivityKind.REVIEW_POSTED, self.customer_external_id, self.review_id, _occurred(self)
        )


@strawberry.input
class RecordReferralInput:
    customer_external_id: str = strawberry.field(description="The referrer, who is rewarded.")
    referral_id: str
    occurred_at: datetime | None = strawberry.field(default=None, description=OCCURRED_AT)

    def to_activity(self) -> Reported:
        return Reported(
            ActivityKind.REFERRAL_COMPLETED, self.customer_external_id, self.referral_id,
            _occurred(self),
        )


@strawberry.input
class RecordSubscriptionBillingInput:
    customer_external_id: str
    billing_id: str
    contract_id: str
    occurred_at: datetime | None = strawberry.field(default=None, description=OCCURRED_AT)

    def to_activity(self) -> Reported:
        return Reported(
            ActivityKind.SUBSCRIPTION_BILLED, self.customer_external_id, self.billing_id,
            _occurred(self), contract_id=self.contract_id,
        )


@strawberry.input(description="A contract cancelled or expired: its consecutive cycles reset.")
class RecordSubscriptionCancellationInput:
    customer_external_id: str
    contract_id: str
    cancellation_id: str | None = strawberry.field(
        default=None,
        description="The cancellation's own id; defaults to the contract id. Give one when a "
        "contract can be cancelled more than once.",
    )
    occurred_at: datetime | None = strawberry.field(default=None, description=OCCURRED_AT)

    def to_activity(self) -> Reported:
        return Reported(
            ActivityKind.SUBSCRIPTION_CANCELLED, self.customer_external_id,
            self.cancellation_id or self.contract_id, _occurred(self), contract_id=self.contract_id,
        )


@strawberry.input(description="Points from the store's other earning programs.")
class RecordPointsEarnedInput:
    customer_external_id: str
    entry_id: str
    points: int
    source: str | None = None
    occurred_at: datetime | None = strawberry.field(default=None, description=OCCURRED_AT)

    def to_activity(self) -> Reported:
        return Reported(
            ActivityKind.POINTS_EARNED, self.customer_external_id, self.entry_id,
            _occurred(self), points=self.points, source=self.source,
        )


@strawberry.input
class RecordSignupInput:
    customer_external_id: str
    email: str | None = None
    occurred_at: datetime | None = strawberry.field(default=None, description=OCCURRED_AT)

    def to_activity(self) -> Reported:
        return Reported(
            ActivityKind.SIGNUP, self.customer_external_id, self.customer_external_id,
            _occurred(self), self.email,
        )


@strawberry.input(
    one_of=True, description="Exactly one activity, under its kind's name, with the fields of its record* input."
)
class ActivityInput:
    order: strawberry.Maybe[RecordOrderInput]
    refund: strawberry.Maybe[RecordRefundInput]
    review: strawberry.Maybe[RecordReviewInput]
    referral: strawberry.Maybe[RecordReferralInput]
    subscription_billing: strawberry.Maybe[RecordSubscriptionBillingInput]
    subscription_cancellation: strawberry.Maybe[RecordSubscriptionCancellationInput]
    points_earned: strawberry.Maybe[RecordPointsEarnedInput]
    signup: strawberry.Maybe[RecordSignupInput]

    def member(self) -> tuple[str, RecordInput]:
        """The kind's input member as the schema names it (`subscriptionBilling`), and its value."""
        for python_name, graphql_name, _ in MEMBERS:
            given = getattr(self, python_name)
            if given:
                return graphql_name, given.value
        raise ValueError("a one-of input with no member")  # GraphQL validation refuses it first


RecordInput = (
    RecordOrderInput | RecordRefundInput | RecordReviewInput | RecordReferralInput
    | RecordSubscriptionBillingInput | RecordSubscriptionCancellationInput | RecordPointsEarnedInput
    | RecordSignupInput
)
# Each member's Python name, schema name and input type.
MEMBERS: list[tuple[str, str, type[RecordInput]]] = [
    ("order", "order", RecordOrderInput),
    ("refund", "refund", RecordRefundInput),
    ("review", "review", RecordReviewInput),
    ("referral", "referral", RecordReferralInput),
    ("subscription_billing", "subscriptionBilling", RecordSubscriptionBillingInput),
    ("subscription_cancellation", "subscriptionCancellation", RecordSubscriptionCancellationInput),
    ("points_earned", "pointsEarned", RecordPointsEarnedInput),
    ("signup", "signup", RecordSignupInput),
]
