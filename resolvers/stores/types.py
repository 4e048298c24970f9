"""The GraphQL `StoreConnection` and its delivery log."""

from __future__ import annotations

from datetime import datetime

import strawberry

from engine.core import enums
from models import Activity as ActivityRow
from models import StoreConnection as ConnectionRow
from models import StoreDelivery as DeliveryRow
from resolvers.customers.types import Activity
from resolvers.node import Node
from resolvers.pagination import Connection, paginate
from wire import ids

StorePlatform = strawberry.enum(enums.StorePlatform)
CountOrdersOn = strawberry.enum(
    enums.CountOrdersOn,
    description="Which Shopify webhook counts an order: orders/create or orders/paid.",
)
StoreDeliveryOutcome = strawberry.enum(
    enums.DeliveryOutcome,
    description="RECORDED: new activity counted. DUPLICATE: delivered or recorded before, "
    "nothing changed. IGNORED: counts nothing (topic, guest or test order, status). "
    "REJECTED: the engine refused it (see `message`); acknowledged so the platform stops retrying.",
)


@strawberry.type(description="One webhook a connected store sent, and what became of it.")
class StoreDelivery(Node):
    row: strawberry.Private[DeliveryRow]
    loaded: strawberry.Private[dict[int, ActivityRow]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return ids.encode("StoreDelivery", self.row.id)

    @strawberry.field
    def received_at(self) -> datetime:
        return self.row.received_at

    @strawberry.field(description="As the platform named it: orders/create, order.updated, …")
    def topic(self) -> str:
        return self.row.topic

    @strawberry.field(
        description="The platform's id of the delivery (X-Shopify-Webhook-Id, "
        "X-WC-Webhook-Delivery-ID); a retry repeats it."
    )
    def webhook_id(self) -> str:
        return self.row.webhook_id

    @strawberry.field
    def outcome(self) -> StoreDeliveryOutcome:
        return enums.DeliveryOutcome(self.row.outcome)

    @strawberry.field(description="The first activity the delivery concerns (see `activities`).")
    def activity(self) -> Activity | None:
        activities = self.activities()
        return activities[0] if activities else None

    @strawberry.field(
        description="Every activity the delivery recorded or found recorded (a WooCommerce "
        "order can carry its refunds), in order."
    )
    def activities(self) -> list[Activity]:
        return [Activity(row=self.loaded[i]) for i in self.row.activity_ids if i in self.loaded]

    @strawberry.field(description="What happened, or why nothing did.")
    def message(self) -> str:
        return self.row.message


@strawberry.type(description="A Shopify or WooCommerce store whose webhooks count for the shop.")
class StoreConnection(Node):
    row: strawberry.Private[ConnectionRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return ids.encode("StoreConnection", self.row.id)

    @strawberry.field
    def platform(self) -> StorePlatform:
        return enums.StorePlatform(self.row.platform)

    @strawberry.field(description="my-store.myshopify.com, or the WooCommerce site's address.")
    def domain(self) -> str:
        return self.row.domain

    @strawberry.field(description="Shopify only: WooCommerce orders count at processing or completed.")
    def count_orders_on(self) -> CountOrdersOn:
        return enums.CountOrdersOn(self.row.count_orders_on)

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field
    def last_delivery_at(self) -> datetime | None:
        return self.row.last_delivery_at

    @strawberry.field(description="The latest deliveries (1,000 are kept), newest first.")
    async def deliveries(
        self, first: int | None = None, after: str | None = None
    ) -> Connection[StoreDelivery]:
        loaded: dict[int, ActivityRow] = {}
        page = await paginate(
            DeliveryRow.filter(connection_id=self.row.id),
            first,
            after,
            lambda row: StoreDelivery(row=row, loaded=loaded),
            descending=True,
        )
        wanted = {i for edge in page.edges for i in edge.node.row.activity_ids}
        if wanted:
            loaded.update({a.id: a for a in await ActivityRow.filter(id__in=wanted)})
        return page
