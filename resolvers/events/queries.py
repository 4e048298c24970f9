"""Polling the event log: a connection ordered by cursor, oldest first."""

from __future__ import annotations

import strawberry

from models import RewardEvent as RewardEventRow
from resolvers.context import Info
from resolvers.enums import RewardEventType
from resolvers.events.filters import event_filter
from resolvers.events.types import RewardEvent
from resolvers.pagination import Connection, paginate
from resolvers.permissions import IsAdminOrPartner


@strawberry.type
class EventQuery:
    @strawberry.field(
        permission_classes=[IsAdminOrPartner],
        description="The shop's reward events in commit order, oldest first. Keep the last "
        "`cursor` and pass it as `after` to read only what is new.",
    )
    async def reward_events(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        types: list[RewardEventType] | None = None,
        customer_id: strawberry.ID | None = None,
    ) -> Connection[RewardEvent]:
        wanted = event_filter(types, customer_id)
        shop = info.context.shop
        query = RewardEventRow.filter(shop_id=shop.id, seq__isnull=False, **wanted.lookups())
        return await paginate(
            query, first, after, lambda row: RewardEvent(row=row, currency=shop.currency), key="seq"
        )
