"""The shop's webhook endpoints."""

from __future__ import annotations

import strawberry

from models import WebhookEndpoint as EndpointRow
from resolvers.context import Info
from resolvers.pagination import Connection, paginate
from resolvers.permissions import IsAdmin
from resolvers.webhooks.types import WebhookEndpoint


@strawberry.type
class WebhookQuery:
    @strawberry.field(
        permission_classes=[IsAdmin], description="The shop's webhook endpoints, oldest first."
    )
    async def webhook_endpoints(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[WebhookEndpoint]:
        query = EndpointRow.filter(shop_id=info.context.shop.id, deleted_at=None)
        return await paginate(query, first, after, lambda row: WebhookEndpoint(row=row))
