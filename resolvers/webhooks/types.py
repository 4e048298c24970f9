"""The GraphQL `WebhookEndpoint` and its delivery log."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from models import WebhookDelivery as DeliveryRow
from models import WebhookEndpoint as EndpointRow
from resolvers.enums import RewardEventType
from resolvers.node import Node
from resolvers.pagination import check_page_size
from wire import ids


@strawberry.enum
class WebhookEndpointStatus(Enum):
    ACTIVE = "ACTIVE"
    RETRYING = "RETRYING"
    DISABLED = "DISABLED"


@strawberry.type(description="One attempt to deliver one event.")
class WebhookDelivery(Node):
    row: strawberry.Private[DeliveryRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return ids.encode("WebhookDelivery", self.row.id)

    @strawberry.field
    def event_id(self) -> strawberry.ID:
        return ids.encode("RewardEvent", self.row.event_id)

    @strawberry.field
    def event_cursor(self) -> str:
        return ids.encode_cursor(self.row.event_seq)

    @strawberry.field(description="1 for the first try of this event, then 2, 3, …")
    def attempt(self) -> int:
        return self.row.attempt

    @strawberry.field(description="The receiver answered with a 2xx status.")
    def success(self) -> bool:
        return self.row.success

    @strawberry.field
    def status_code(self) -> int | None:
        return self.row.status_code

    @strawberry.field
    def error(self) -> str | None:
        return self.row.error

    @strawberry.field
    def duration_ms(self) -> int:
        return self.row.duration_ms

    @strawberry.field
    def attempted_at(self) -> datetime:
        return self.row.created_at


@strawberry.type(
    description="A URL that receives the shop's reward events as signed POSTs, in order."
)
class WebhookEndpoint(Node):
    row: strawberry.Private[EndpointRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return ids.encode("WebhookEndpoint", self.row.id)

    @strawberry.field
    def url(self) -> str:
        return self.row.url

    @strawberry.field
    def types(self) -> list[RewardEventType]:
        return [RewardEventType(t) for t in self.row.types]

    @strawberry.field
    def status(self) -> WebhookEndpointStatus:
        if self.row.disabled_at is not None:
            return WebhookEndpointStatus.DISABLED
        if self.row.attempts:
            return WebhookEndpointStatus.RETRYING
        return WebhookEndpointStatus.ACTIVE

    @strawberry.field(
        description="Cursor of the last event delivered (or passed over for its type); "
        "deliveries resume after it."
    )
    def cursor(self) -> str:
        return ids.encode_cursor(self.row.cursor)

    @strawberry.field(description="Failed attempts at the next event, in a row.")
    def failed_attempts(self) -> int:
        return self.row.attempts

    @strawberry.field
    def next_attempt_at(self) -> datetime | None:
        return self.row.next_attempt_at

    @strawberry.field
    def last_error(self) -> str | None:
        return self.row.last_error

    @strawberry.field(
        description="Set when an event failed every attempt; enableWebhookEndpoint resumes."
    )
    def disabled_at(self) -> datetime | None:
        return self.row.disabled_at

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field(description="The latest delivery attempts, newest first.")
    async def deliveries(self, first: int = 10, failed_only: bool = False) -> list[WebhookDelivery]:
        query = DeliveryRow.filter(endpoint_id=self.row.id)
        if failed_only:
            query = query.filter(success=False)
        rows = await query.order_by("-id").limit(check_page_size(first))
        return [WebhookDelivery(row=row) for row in rows]
