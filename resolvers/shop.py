"""The caller's shop."""

from __future__ import annotations

from datetime import datetime

import strawberry

from engine.services import shops
from models import Shop as ShopRow
from resolvers.context import Info
from resolvers.enums import Plan
from resolvers.node import Node
from resolvers.permissions import IsAdmin, IsAnyRole
from resolvers.stores.queries import store_connections_of
from resolvers.stores.types import StoreConnection
from wire import ids


@strawberry.type
class Shop(Node):
    row: strawberry.Private[ShopRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return ids.encode("Shop", self.row.id)

    @strawberry.field
    def name(self) -> str:
        return self.row.name

    @strawberry.field(description="ISO 4217 code; all money of the shop is in it.")
    def currency(self) -> str:
        return self.row.currency

    @strawberry.field(description="IANA time zone.")
    def timezone(self) -> str:
        return self.row.timezone

    @strawberry.field
    def plan(self) -> Plan:
        return Plan(self.row.plan)

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at

    # Nullable, and its right checked before it reads anything (the resolver returns the
    # awaitable): a role without the right gets this FORBIDDEN reported beside widgetSecret's,
    # instead of the shop being nulled before this field is reached.
    @strawberry.field(
        permission_classes=[IsAdmin],
        description="The Shopify and WooCommerce stores whose webhooks count, oldest first "
        "(null, with a FORBIDDEN error, for other roles than ADMIN).",
    )
    def store_connections(self) -> list[StoreConnection] | None:
        return store_connections_of(self.row.id)  # type: ignore[return-value]

    @strawberry.field(
        permission_classes=[IsAdmin],
        description="Key of the storefront's customerDigest: hex HMAC-SHA256(widgetSecret, "
        "customer external id), computed by the store's server.",
    )
    def widget_secret(self) -> str:
        return self.row.widget_secret


@strawberry.type
class ShopQuery:
    @strawberry.field(permission_classes=[IsAnyRole], description="The shop of the calling key.")
    def shop(self, info: Info) -> Shop:
        return Shop(row=info.context.shop)


@strawberry.type
class RotateWidgetSecretPayload:
    shop: Shop


@strawberry.type
class ShopMutation:
    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Replace the widget secret; digests made with the old one stop working.",
    )
    async def rotate_widget_secret(self, info: Info) -> RotateWidgetSecretPayload:
        row = await shops.rotate_widget_secret(info.context.shop)
        return RotateWidgetSecretPayload(shop=Shop(row=row))
