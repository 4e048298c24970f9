"""The live event stream: replay after the cursor, then each event as it commits."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from contextlib import aclosing

import strawberry
from graphql import GraphQLError

from delivery.hub import hub
from resolvers.context import Info
from resolvers.enums import RewardEventType
from resolvers.events.filters import event_filter
from resolvers.events.types import RewardEvent
from resolvers.masking import internal_error_extensions, internal_error_message
from resolvers.pagination import parse_after
from resolvers.permissions import IsAdminOrPartner

log = logging.getLogger("milestones.errors")


@strawberry.type
class EventSubscription:
    @strawberry.subscription(
        permission_classes=[IsAdminOrPartner],
        description="Every event after `after` (from now when omitted), then each new one as "
        "it commits: in order, each once. Resume with the last `cursor` received.",
    )
    async def reward_events(
        self,
        info: Info,
        after: str | None = None,
        types: list[RewardEventType] | None = None,
        customer_id: strawberry.ID | None = None,
    ) -> AsyncGenerator[RewardEvent, None]:
        wanted = event_filter(types, customer_id)
        start = parse_after(after)
        shop = info.context.shop
        following = info.context.following

        def joined() -> None:
            following.live = True
            following.from_now = start is None

        try:
            async with aclosing(hub.follow(shop.id, start, joined)) as rows:
                async for row in rows:
                    if wanted.matches(row):
                        following.position = row.seq
                        yield RewardEvent(row=row, currency=shop.currency)
        except Exception as error:
            # Exception handlers and error masking do not reach subscriptions.
            request_id = info.context.request_id or "-"
            log.exception("reward event stream failed (request id %s)", request_id)
            raise GraphQLError(
                internal_error_message(request_id),
                extensions=internal_error_extensions(request_id),
            ) from error
