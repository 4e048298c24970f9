"""Mutations on issued rewards and the sweep."""

from __future__ import annotations

from datetime import datetime

import strawberry

from engine import clock
from engine.activities import EARLIEST
from engine.errors import DomainError
from engine.redeeming import redeem_reward
from engine.sweep import run_sweep
from models import IssuedReward as RewardRow
from resolvers.context import Info
from resolvers.customers.rewards import IssuedReward
from resolvers.errors import UserError, user_errors
from resolvers.permissions import IsAdmin, IsAdminOrPartner
from resolvers.times import input_time


@strawberry.type
class RedeemRewardPayload:
    issued_reward: IssuedReward | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RunInactivitySweepPayload:
    as_of: datetime
    granted: int = strawberry.field(description="Inactivity rewards granted.")
    expired: int = strawberry.field(description="Code rewards expired.")
    customers_scanned: int
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def sweep_time(as_of) -> datetime | None:
    """The sweep's `asOf`, UTC. Before 1970 no activity exists (DESIGN §4), so no customer
    can be idle and no code can be due: such a time is a mistake, not a request."""
    moment = input_time(as_of, ("asOf",))
    if moment is not None and moment < EARLIEST:
        raise DomainError.one("INVALID", "asOf is before 1970: no activity is that old.", ("asOf",))
    return moment


@strawberry.type
class RewardMutation:
    @strawberry.mutation(
        permission_classes=[IsAdminOrPartner],
        description="Mark a discount or gift code used (at checkout).",
    )
    async def redeem_reward(self, info: Info, code: str) -> RedeemRewardPayload:
        try:
            reward_id = await redeem_reward(info.context.shop, code)
        except DomainError as error:
            return RedeemRewardPayload(user_errors=user_errors(error, prefix=None))
        return RedeemRewardPayload(issued_reward=IssuedReward(row=await RewardRow.get(id=reward_id)))

    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Grant this shop's inactivity milestones and expire its due rewards as of "
        "`asOf` (default now). The server also runs the sweep on an interval.",
    )
    async def run_inactivity_sweep(
        self, info: Info, as_of: datetime | None = None
    ) -> RunInactivitySweepPayload:
        try:
            moment = sweep_time(as_of)
        except DomainError as error:
            return RunInactivitySweepPayload(
                as_of=clock.now(), granted=0, expired=0, customers_scanned=0,
                user_errors=user_errors(error, prefix=None),
            )
        result = await run_sweep(as_of=moment, shop_id=info.context.shop.id)
        return RunInactivitySweepPayload(
            as_of=result.as_of,
            granted=result.granted,
            expired=result.expired,
            customers_scanned=result.customers_scanned,
        )
