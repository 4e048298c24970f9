"""The record* mutations: input → engine.record_activity → payload with userErrors."""

from __future__ import annotations

import strawberry

from engine.core.errors import DomainError
from engine.services.recording import RecordResult, record_activity
from models import Activity as ActivityRow
from models import Customer as CustomerRow
from models import IssuedReward as RewardRow
from resolvers.activity.batch import RecordActivitiesPayload, record_activities
from resolvers.activity.inputs import (
    ActivityInput,
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
    # Each field reads its rows only when the caller selects it: a webhook that asks for
    # `duplicate` and `userErrors` costs no read after the engine's transaction.
    result: strawberry.Private[RecordResult | None] = None
    errors: strawberry.Private[list[UserError] | None] = None

    @strawberry.field
    async def activity(self) -> Activity | None:
        if self.result is None:
            return None
        return Activity(row=self.result.stored or await ActivityRow.get(id=self.result.activity_id))

    @strawberry.field(description="True when this activity was recorded before: nothing changed.")
    def duplicate(self) -> bool:
        return self.result is not None and self.result.duplicate

    @strawberry.field(description="The customer, with updated balances and progress.")
    async def customer(self) -> Customer | None:
        if self.result is None:
            return None
        return Customer(row=await CustomerRow.get(id=self.result.customer_id))

    @strawberry.field(description="Rewards this activity issued (the first time).")
    async def issued_rewards(self) -> list[IssuedReward]:
        if self.result is None or not self.result.issued_reward_ids:
            return []
        rows = self.result.issued or await RewardRow.filter(id__in=self.result.issued_reward_ids).order_by("id")
        return [IssuedReward(row=r) for r in rows]

    @strawberry.field
    def user_errors(self) -> list[UserError]:
        return self.errors or []


async def _record(info: Info, data) -> RecordActivityPayload:
    try:
        result = await record_activity(info.context.shop, data.to_activity())
    except DomainError as error:
        return RecordActivityPayload(errors=user_errors(error))
    return RecordActivityPayload(result=result)


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

    @strawberry.mutation(
        **_record_permission,
        description="Up to 1,000 activities of any kinds in one call (a store's history, a queue of "
        "webhooks): each is recorded exactly as its record* mutation would record it and answers on its "
        "own, by position; one's problems change nothing of the others. The call counts once against "
        "the key's rate limit.",
    )
    async def record_activities(self, info: Info, inputs: list[ActivityInput]) -> RecordActivitiesPayload:
        return await record_activities(info, inputs)
