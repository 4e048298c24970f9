"""Issued rewards as GraphQL."""

from __future__ import annotations

from datetime import datetime

import strawberry

from engine.core.enums import RuleType
from models import IssuedReward as RewardRow
from resolvers.context import Info
from resolvers.enums import IssuedRewardStatus, RewardKind
from resolvers.error_codes import argument_pk
from resolvers.loaders import milestone_by_id, rule_by_id
from resolvers.node import Node
from resolvers.pagination import Connection, paginate
from resolvers.permissions import IsAdminOrPartner
from resolvers.rewards import Reward, reward_of
from resolvers.rules.types import Milestone, MilestoneRule
from resolvers.times import argument_time
from wire import ids


@strawberry.type
class IssuedReward(Node):
    row: strawberry.Private[RewardRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return ids.encode("IssuedReward", self.row.id)

    @strawberry.field
    def kind(self) -> RewardKind:
        return RewardKind(self.row.kind)

    @strawberry.field(description="Points and store credit are applied at issue.")
    def status(self) -> IssuedRewardStatus:
        return IssuedRewardStatus(self.row.status)

    @strawberry.field(description="The discount or gift code, for code rewards.")
    def code(self) -> str | None:
        return self.row.code

    @strawberry.field
    def expires_at(self) -> datetime | None:
        return self.row.expires_at

    @strawberry.field
    def issued_at(self) -> datetime:
        return self.row.issued_at

    @strawberry.field
    def redeemed_at(self) -> datetime | None:
        return self.row.redeemed_at

    @strawberry.field
    def revoked_at(self) -> datetime | None:
        return self.row.revoked_at

    @strawberry.field(
        description="The reward as defined when it was issued; while a choice is PENDING_CHOICE, "
        "its first option (the default), and once chosen, the chosen one."
    )
    def reward(self) -> Reward:
        return reward_of(self.row.reward)

    @strawberry.field(
        description="Customer's choice: the rewards offered, in order (`chooseReward`'s `option` "
        "counts from 0); null for a reward that offered no choice."
    )
    def reward_options(self) -> list[Reward] | None:
        options = self.row.reward_options
        return [reward_of(option) for option in options] if options else None

    @strawberry.field(description="Customer's choice: when the sweep gives the first option if none is chosen.")
    def choice_expires_at(self) -> datetime | None:
        return self.row.choice_expires_at

    @strawberry.field(description="Customer's choice: the option chosen (from 0), by the customer or the sweep.")
    def chosen_option(self) -> int | None:
        return self.row.chosen_option

    @strawberry.field
    def customer_id(self) -> strawberry.ID:
        return ids.encode("Customer", self.row.customer_id)

    @strawberry.field
    async def rule(self, info: Info) -> MilestoneRule:
        return MilestoneRule(row=await rule_by_id(info).load(self.row.rule_id))

    @strawberry.field
    async def milestone(self, info: Info) -> Milestone:
        rule = await rule_by_id(info).load(self.row.rule_id)
        row = await milestone_by_id(info).load(self.row.milestone_id)
        return Milestone(row=row, rule_type=RuleType(rule.type))


async def rewards_of(
    customer_id: int,
    first: int | None,
    after: str | None,
    status: list[IssuedRewardStatus] | None,
) -> Connection[IssuedReward]:
    """A customer's issued rewards, newest first, optionally of some statuses."""
    query = RewardRow.filter(customer_id=customer_id)
    if status:
        query = query.filter(status__in=[s.value for s in status])
    return await paginate(query, first, after, lambda r: IssuedReward(row=r), descending=True)


@strawberry.type
class IssuedRewardQuery:
    @strawberry.field(
        permission_classes=[IsAdminOrPartner],
        description="The shop's issued rewards, newest first. `issuedAfter` is inclusive and "
        "`issuedBefore` exclusive, as a rule's window is.",
    )
    async def issued_rewards(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: list[IssuedRewardStatus] | None = None,
        rule_id: strawberry.ID | None = None,
        kind: list[RewardKind] | None = None,
        issued_after: datetime | None = None,
        issued_before: datetime | None = None,
    ) -> Connection[IssuedReward]:
        query = RewardRow.filter(shop_id=info.context.shop.id)
        if status:
            query = query.filter(status__in=[s.value for s in status])
        if rule_id is not None:
            query = query.filter(rule_id=argument_pk("MilestoneRule", rule_id, "ruleId"))
        if kind:
            query = query.filter(kind__in=[k.value for k in kind])
        if (start := argument_time(issued_after, "issuedAfter")) is not None:
            query = query.filter(issued_at__gte=start)
        if (end := argument_time(issued_before, "issuedBefore")) is not None:
            query = query.filter(issued_at__lt=end)
        return await paginate(query, first, after, lambda r: IssuedReward(row=r), descending=True)
