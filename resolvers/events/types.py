"""The GraphQL `RewardEvent`: a row of the log, its ids global, its body rendered once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from models import RewardEvent as RewardEventRow
from resolvers.context import Info
from resolvers.customers.rewards import IssuedReward
from resolvers.customers.types import Customer
from resolvers.enums import RewardEventType
from resolvers.events.loaders import customer_by_id, issued_reward_by_id
from resolvers.loaders import rule_by_id
from resolvers.node import Node
from resolvers.rules.types import MilestoneRule
from wire import ids
from wire.reward_event import event_cursor, event_id, rendered


@strawberry.type(description="A change to an issued reward, from the shop's ordered event log.")
class RewardEvent(Node):
    row: strawberry.Private[RewardEventRow]
    currency: strawberry.Private[str]

    @strawberry.field(description="Stable: the same event always has the same id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(event_id(self.row))

    @strawberry.field(description="Pass as `after` to resume right after this event.")
    def cursor(self) -> str:
        return event_cursor(self.row)

    @strawberry.field
    def type(self) -> RewardEventType:
        return RewardEventType(self.row.type)

    @strawberry.field
    def occurred_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field
    def customer_id(self) -> strawberry.ID:
        return ids.encode("Customer", self.row.customer_id)

    @strawberry.field(description="The store's own id of the customer.")
    def customer_external_id(self) -> str | None:
        return (self.row.payload.get("customer") or {}).get("externalId")

    @strawberry.field
    def rule_id(self) -> strawberry.ID:
        return ids.encode("MilestoneRule", self.row.rule_id)

    @strawberry.field
    def milestone_id(self) -> strawberry.ID:
        return ids.encode("Milestone", self.row.milestone_id)

    @strawberry.field
    def issued_reward_id(self) -> strawberry.ID:
        return ids.encode("IssuedReward", self.row.issued_reward_id)

    @strawberry.field(
        description="The whole event as webhooks deliver it: customer, rule, milestone and a "
        "snapshot of the reward (money as decimal strings)."
    )
    def data(self) -> JSON:
        return self.public()

    @strawberry.field(description="The customer as they are now (`data` is as of the event).")
    async def customer(self, info: Info) -> Customer | None:
        row = await customer_by_id(info).load(self.row.customer_id)
        return Customer(row=row) if row else None

    @strawberry.field(description="The issued reward as it is now (`data` is as of the event).")
    async def issued_reward(self, info: Info) -> IssuedReward | None:
        row = await issued_reward_by_id(info).load(self.row.issued_reward_id)
        return IssuedReward(row=row) if row else None

    @strawberry.field(description="The rule as it is now (`data` is as of the event).")
    async def rule(self, info: Info) -> MilestoneRule | None:
        row = await rule_by_id(info).load(self.row.rule_id)
        return MilestoneRule(row=row) if row else None

    def public(self) -> dict[str, Any]:
        return rendered.get(self.row, self.currency)
