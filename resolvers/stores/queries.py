"""One connected store by id (the shop lists them all as `shop { storeConnections }`)."""

from __future__ import annotations

import strawberry

from models import StoreConnection as ConnectionRow
from resolvers.context import Info
from resolvers.error_codes import argument_pk
from resolvers.permissions import IsAdmin
from resolvers.stores.types import StoreConnection


async def store_connections_of(shop_id: int) -> list[StoreConnection]:
    rows = await ConnectionRow.filter(shop_id=shop_id).order_by("id")
    return [StoreConnection(row=row) for row in rows]


@strawberry.type
class StoreQuery:
    @strawberry.field(permission_classes=[IsAdmin])
    async def store_connection(self, info: Info, id: strawberry.ID) -> StoreConnection | None:
        pk = argument_pk("StoreConnection", id)
        row = await ConnectionRow.get_or_none(id=pk, shop_id=info.context.shop.id)
        return StoreConnection(row=row) if row else None
