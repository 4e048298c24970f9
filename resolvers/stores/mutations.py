"""connectStore and disconnectStore: input → engine call → payload with userErrors."""

from __future__ import annotations

import strawberry

from engine.core import enums
from engine.core.errors import DomainError
from engine.services.store_connections import connect_store, disconnect_store
from resolvers.context import Info
from resolvers.errors import UserError, user_errors
from resolvers.permissions import IsAdmin
from resolvers.stores.types import CountOrdersOn, StoreConnection, StorePlatform
from wire import ids


@strawberry.input
class ConnectStoreInput:
    platform: StorePlatform
    domain: str = strawberry.field(
        description="Shopify: the myshopify.com domain. WooCommerce: the site's address."
    )
    secret: str = strawberry.field(
        description="The key the store signs its webhooks with. Write-only: never shown again."
    )
    count_orders_on: CountOrdersOn = enums.CountOrdersOn.CREATED


@strawberry.type
class ConnectStorePayload:
    store_connection: StoreConnection | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DisconnectStorePayload:
    disconnected_store_connection_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class StoreMutation:
    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Count a store's own webhooks (POST /ingest/shopify or /ingest/woocommerce). "
        "Connecting a domain this shop already connected replaces its secret and countOrdersOn.",
    )
    async def connect_store(self, info: Info, input: ConnectStoreInput) -> ConnectStorePayload:
        try:
            row = await connect_store(
                info.context.shop,
                enums.StorePlatform(input.platform),
                input.domain,
                input.secret,
                enums.CountOrdersOn(input.count_orders_on),
                info.context.request.app.state.store_secrets,
            )
        except DomainError as error:
            return ConnectStorePayload(user_errors=user_errors(error))
        return ConnectStorePayload(store_connection=StoreConnection(row=row))

    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Stop counting a store's webhooks (they get 404) and forget its delivery log.",
    )
    async def disconnect_store(self, info: Info, id: strawberry.ID) -> DisconnectStorePayload:
        try:
            pk = ids.pk_of("StoreConnection", id, "Store connection")
            await disconnect_store(info.context.shop, pk)
        except DomainError as error:
            return DisconnectStorePayload(user_errors=user_errors(error, prefix=None))
        return DisconnectStorePayload(disconnected_store_connection_id=id)
