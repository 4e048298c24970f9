"""Queries of milestone rules."""

from __future__ import annotations

import strawberry

from models import MilestoneRule as RuleRow
from resolvers.context import Info
from resolvers.enums import MilestoneRuleStatus, MilestoneRuleType
from resolvers.error_codes import argument_pk
from resolvers.pagination import Connection, paginate
from resolvers.permissions import IsAdminOrPartner
from resolvers.rules.types import MilestoneRule


@strawberry.type
class RuleQuery:
    @strawberry.field(
        permission_classes=[IsAdminOrPartner],
        description="The shop's milestone rules, oldest first.",
    )
    async def milestone_rules(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: list[MilestoneRuleStatus] | None = None,
        type: list[MilestoneRuleType] | None = None,
    ) -> Connection[MilestoneRule]:
        query = RuleRow.filter(shop_id=info.context.shop.id)
        if status:
            query = query.filter(status__in=[s.value for s in status])
        if type:
            query = query.filter(type__in=[t.value for t in type])
        return await paginate(query, first, after, lambda row: MilestoneRule(row=row))

    @strawberry.field(permission_classes=[IsAdminOrPartner])
    async def milestone_rule(self, info: Info, id: strawberry.ID) -> MilestoneRule | None:
        pk = argument_pk("MilestoneRule", id)
        row = await RuleRow.get_or_none(id=pk, shop_id=info.context.shop.id)
        return MilestoneRule(row=row) if row else None
