"""The record* mutations: input → engine.record_activity → payload with userErrors."""

from __future__ import annotations

import strawberry

from engine.errors import DomainError
from engine.recording import record_activity
from models import Activity as ActivityRow
from models import Customer as CustomerRow
from models import IssuedReward as RewardRow
from resolvers.activity.inputs import (
    RecordOrderInput,
    RecordPointsEarnedInput,
    RecordReferralInput,
    RecordRefundInput,
    RecordReviewInput,
    RecordSignupInput,
    RecordSubscriptionBillingInput,
    RecordSubscriptionCancellationInput,
)
from resolvers.context import Info
from resolvers.customers.rewards import IssuedReward
from resolvers.customers.types import Activity, Customer
from resolvers.errors import UserError, user_errors
from resolvers.permissions import IsAdminOrPartner


@strawberry.type
class RecordActivityPayload:
    activity: Activity | None = None
    duplicate: bool = strawberry.field(
        default=False, description="True when this activity was recorded before: nothing changed."
    )
    customer: Customer | None = strawberry.field(
        default=None, description="The customer, with updated balances and progress."
    )
    issued_rewards: list[IssuedReward] = strawberry.field(
        default_factory=list, description="Rewards this activity issued (the first time)."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def _record(info: Info, data) -> RecordActivityPayload:
    try:
        result = await record_activity(info.context.shop, data.to_activity())
    except DomainError as error:
        return RecordActivityPayload(user_errors=user_errors(error))
    activity = await ActivityRow.get(id=result.activity_id)
    customer = await CustomerRow.get(id=result.customer_id)
    rewards = await RewardRow.filter(id__in=result.issued_reward_ids).order_by("id")
    return RecordActivityPayload(
        activity=Activity(row=activity),
        duplicate=result.duplicate,
        customer=Customer(row=customer),
        issued_rewards=[IssuedReward(row=r) for r in rewards],
    )


_record_permission = dict(permission_classes=[IsAdminOrPartner])


@strawberry.type
class ActivityMutation:
    @strawberry.mutation(**_record_permission, description="An order was placed.")
    async def record_order(self, info: Info, input: RecordOrderInput) -> RecordActivityPayload:
        return await _record(info, input)

    @strawberry.mutation(**_record_permission, description="Part or all of an order was refunded.")
    async def record_refund(self, info: Info, input: RecordRefundInput) -> RecordActivityPayload:
        return await _record(info, input)

    @strawberry.mutation(**_record_permission, description="A customer posted a review.")
    async def record_review(self, info: Info, input: RecordReviewInput) -> RecordActivityPayload:
        return await _record(info, input)

    @strawberry.mutation(**_record_permission, description="A customer's referral completed.")
    async def record_referral(self, info: Info, input: RecordReferralInput) -> RecordActivityPayload:
        return await _record(info, input)

    @strawberry.mutation(**_record_permission, description="A subscription billing succeeded.")
    async def record_subscription_billing(
        self, info: Info, input: RecordSubscriptionBillingInput
    ) -> RecordActivityPayload:
        return await _record(info, input)

    @strawberry.mutation(**_record_permission, description="A subscription was cancelled or expired.")
    async def record_subscription_cancellation(
        self, info: Info, input: RecordSubscriptionCancellationInput
    ) -> RecordActivityPayload:
        return await _record(info, input)

    @strawberry.mutation(**_record_permission, description="Points from another earning program.")
    async def record_points_earned(
        self, info: Info, input: RecordPointsEarnedInput
    ) -> RecordActivityPayload:
        return await _record(info, input)

    @strawberry.mutation(**_record_permission, description="A customer signed up.")
    async def record_signup(self, info: Info, input: RecordSignupInput) -> RecordActivityPayload:
        return await _record(info, input)
