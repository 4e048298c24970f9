"""Queries of customers."""

from __future__ import annotations

import strawberry

from models import Customer as CustomerRow
from resolvers import ids
from resolvers.context import Info
from resolvers.customers.types import Customer
from resolvers.error_codes import bad_input
from resolvers.pagination import Connection, paginate
from resolvers.permissions import IsAdminOrPartner


@strawberry.type
class CustomerQuery:
    @strawberry.field(permission_classes=[IsAdminOrPartner], description="Customers, oldest first.")
    async def customers(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Customer]:
        query = CustomerRow.filter(shop_id=info.context.shop.id)
        return await paginate(query, first, after, lambda row: Customer(row=row))

    @strawberry.field(
        permission_classes=[IsAdminOrPartner],
        description="One customer, by global `id` or by the store's `externalId`.",
    )
    async def customer(
        self, info: Info, id: strawberry.ID | None = None, external_id: str | None = None
    ) -> Customer | None:
        if (id is None) == (external_id is None):
            raise bad_input("Give exactly one of `id` and `externalId`.")
        shop_id = info.context.shop.id
        if id is not None:
            pk = ids.argument_pk("Customer", id)
            row = await CustomerRow.get_or_none(id=pk, shop_id=shop_id)
        else:
            row = await CustomerRow.get_or_none(external_id=external_id, shop_id=shop_id)
        return Customer(row=row) if row else None
