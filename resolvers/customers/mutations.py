"""Mutations on issued rewards and the sweep."""

from __future__ import annotations

from datetime import datetime

import strawberry

from engine.core.activities import EARLIEST
from engine.core.errors import DomainError
from engine.services import clock
from engine.services.redeeming import redeem_reward
from engine.services.sweep import run_sweep
from models import IssuedReward as RewardRow
from models import MilestoneRule as RuleRow
from resolvers.context import Info
from resolvers.customers.rewards import IssuedReward
from resolvers.errors import UserError, user_errors
from resolvers.permissions import IsAdmin, IsAdminOrPartner
from resolvers.rules.types import MilestoneRule
from resolvers.times import input_time


@strawberry.type
class RedeemRewardPayload:
    issued_reward: IssuedReward | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="What one rule's part of a sweep did (or, in a dry run, would do).")
class SweepRuleResult:
    rule: MilestoneRule
    customers: int = strawberry.field(description="Customers granted at least one of its milestones.")
    granted: int = strawberry.field(description="Its inactivity rewards granted.")
    expired: int = strawberry.field(description="Its code rewards expired.")
    streaks_broken: int = strawberry.field(
        default=0, description="STREAK only: customers whose streak a period ending without enough activity broke."
    )
    choices_settled: int = strawberry.field(
        default=0, description="Its customers' choices past their deadline made with the first option."
    )


@strawberry.type
class RunInactivitySweepPayload:
    as_of: datetime
    dry_run: bool = strawberry.field(default=False, description="True when nothing was written.")
    granted: int = strawberry.field(default=0, description="Inactivity rewards granted.")
    expired: int = strawberry.field(default=0, description="Code rewards expired.")
    choices_settled: int = strawberry.field(
        default=0, description="Customers' choices past their deadline, made with the first option."
    )
    customers_scanned: int = 0
    streaks_broken: int = strawberry.field(
        default=0, description="Customers' STREAK streaks found broken: a period ended without enough activity."
    )
    by_rule: list[SweepRuleResult] = strawberry.field(
        default_factory=list, description="The same, rule by rule (in rule id order)."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def sweep_time(as_of) -> datetime | None:
    """The sweep's `asOf`, UTC. Before 1970 no activity exists (docs/concepts.md, "Activity"), so no customer
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
        description="Grant this shop's inactivity milestones, expire its due rewards and close its "
        "STREAK periods (storing streaks a period without enough activity broke) as of "
        "`asOf` (default now; a past time replays what the sweep would have done then). A future "
        "`asOf` is refused unless `dryRun`, which writes nothing and answers what the sweep "
        "would do. The server also runs the sweep on an interval.",
    )
    async def run_inactivity_sweep(
        self, info: Info, as_of: datetime | None = None, dry_run: bool = False
    ) -> RunInactivitySweepPayload:
        try:
            moment = sweep_time(as_of)
            result = await run_sweep(as_of=moment, shop_id=info.context.shop.id, dry_run=dry_run)
        except DomainError as error:
            return RunInactivitySweepPayload(as_of=clock.now(), user_errors=user_errors(error, prefix=None))
        rules = {r.id: r for r in await RuleRow.filter(id__in=list(result.by_rule))}
        return RunInactivitySweepPayload(
            as_of=result.as_of,
            dry_run=result.dry_run,
            granted=result.granted,
            expired=result.expired,
            choices_settled=result.settled,
            customers_scanned=result.customers_scanned,
            streaks_broken=result.streaks_broken,
            by_rule=[
                SweepRuleResult(rule=MilestoneRule(row=rules[part.rule_id]), customers=part.customers,
                                granted=part.granted, expired=part.expired, streaks_broken=part.streaks_broken,
                                choices_settled=part.settled)
                for part in sorted(result.by_rule.values(), key=lambda p: p.rule_id)
                if part.rule_id in rules
            ],
        )
