"""Customer's choice: the mutation that picks the reward of a pending choice."""

from __future__ import annotations

import strawberry

from engine.core.enums import Role
from engine.core.errors import DomainError, not_found
from engine.services.choosing import choose_reward
from engine.services.widget import prove_customer
from models import IssuedReward as RewardRow
from resolvers.context import Info
from resolvers.customers.rewards import IssuedReward
from resolvers.errors import UserError, user_errors
from resolvers.permissions import IsAnyRole
from wire import ids


@strawberry.type
class ChooseRewardPayload:
    issued_reward: IssuedReward | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ChoiceMutation:
    @strawberry.mutation(
        permission_classes=[IsAnyRole],
        description="Pick the reward of a PENDING_CHOICE issued reward: `option` counts its "
        "`rewardOptions` from 0. The chosen reward is issued once (points and credit applied, a "
        "code issued) and the reward becomes ISSUED; choosing again is REWARD_ALREADY_CHOSEN. A "
        "STOREFRONT key acts for one customer, proven by `customerExternalId` and "
        "`customerDigest` as for `widget`; with another key, `customerExternalId`, when given, "
        "must be the reward's customer.",
    )
    async def choose_reward(
        self,
        info: Info,
        issued_reward_id: strawberry.ID,
        option: int,
        customer_external_id: str | None = None,
        customer_digest: str | None = None,
    ) -> ChooseRewardPayload:
        shop = info.context.shop
        try:
            if info.context.role == Role.STOREFRONT:
                customer_external_id = prove_customer(shop, customer_external_id, customer_digest)
            reward_id = ids.decode("IssuedReward", issued_reward_id)
            if reward_id is None:
                raise not_found("Reward", ("issuedRewardId",))
            await choose_reward(shop, reward_id, option, customer_external_id)
        except DomainError as error:
            return ChooseRewardPayload(user_errors=user_errors(error, prefix=None))
        return ChooseRewardPayload(issued_reward=IssuedReward(row=await RewardRow.get(id=reward_id)))
