"""Mutations of milestone rules: input → engine call → payload with userErrors."""

from __future__ import annotations

import strawberry

from engine.core.errors import DomainError
from engine.services import rules
from resolvers.context import Info
from resolvers.errors import UserError, user_errors
from resolvers.permissions import IsAdmin
from resolvers.rules.inputs import (
    MilestoneRuleInput,
    MilestoneRuleUpdateInput,
    rule_draft,
    rule_patch,
)
from resolvers.rules.types import MilestoneRule
from wire import ids


@strawberry.type
class MilestoneRulePayload:
    rule: MilestoneRule | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _rule_id(id: strawberry.ID) -> int:
    return ids.pk_of("MilestoneRule", id, "Milestone rule")


async def _run(call) -> MilestoneRulePayload:
    try:
        row = await call()
    except DomainError as error:
        return MilestoneRulePayload(user_errors=user_errors(error))
    return MilestoneRulePayload(rule=MilestoneRule(row=row))


@strawberry.type
class RuleMutation:
    @strawberry.mutation(permission_classes=[IsAdmin], description="Create a DRAFT rule.")
    async def create_milestone_rule(
        self, info: Info, input: MilestoneRuleInput
    ) -> MilestoneRulePayload:
        ctx = info.context
        return await _run(lambda: rules.create_rule(ctx.shop, rule_draft(input), ctx.api_key.id))

    @strawberry.mutation(permission_classes=[IsAdmin])
    async def update_milestone_rule(
        self, info: Info, id: strawberry.ID, input: MilestoneRuleUpdateInput
    ) -> MilestoneRulePayload:
        ctx = info.context
        return await _run(
            lambda: rules.update_rule(ctx.shop, _rule_id(id), rule_patch(input), ctx.api_key.id)
        )

    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="DRAFT or PAUSED → ACTIVE (ADVANCED or ENTERPRISE plan). With "
        "countPastActivity, activity already recorded in the window counts now.",
    )
    async def activate_milestone_rule(
        self, info: Info, id: strawberry.ID, count_past_activity: bool | None = False
    ) -> MilestoneRulePayload:
        ctx = info.context
        past = bool(count_past_activity)  # null, as the argument is nullable, means false
        return await _run(lambda: rules.activate_rule(ctx.shop, _rule_id(id), past, ctx.api_key.id))

    @strawberry.mutation(permission_classes=[IsAdmin], description="ACTIVE → PAUSED.")
    async def pause_milestone_rule(self, info: Info, id: strawberry.ID) -> MilestoneRulePayload:
        ctx = info.context
        return await _run(lambda: rules.pause_rule(ctx.shop, _rule_id(id), ctx.api_key.id))

    @strawberry.mutation(permission_classes=[IsAdmin], description="Any status → ARCHIVED (final).")
    async def archive_milestone_rule(self, info: Info, id: strawberry.ID) -> MilestoneRulePayload:
        ctx = info.context
        return await _run(lambda: rules.archive_rule(ctx.shop, _rule_id(id), ctx.api_key.id))
