"""Queries of customers."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from engine.services.reporting import CustomerOrder, CustomerSearch, customer_count, customer_page
from models import Customer as CustomerRow
from resolvers.context import Info
from resolvers.customers.types import Customer
from resolvers.error_codes import argument_pk, bad_input
from resolvers.pagination import Connection, Edge, check_page_size, connection, parse_after
from resolvers.permissions import IsAdminOrPartner
from wire import ids

# As long as the longest email; no external id or email starts with anything longer.
MAX_SEARCH_LENGTH = 320


@strawberry.enum(description="How `customers` are sorted.")
class CustomerSortKey(Enum):
    CREATED = strawberry.enum_value("CREATED", description="Oldest first (the default).")
    LAST_ACTIVITY = strawberry.enum_value(
        "LAST_ACTIVITY", description="Most recently active first."
    )
    TOTAL_SPENT = strawberry.enum_value("TOTAL_SPENT", description="Biggest order totals first.")


def _cursor(order: CustomerOrder, pk: int, value) -> str:
    if order == CustomerOrder.CREATED:
        return ids.encode_cursor(pk)  # the cursors this connection always had
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return ids.encode_keyset_cursor(order.value, text, pk)


def _after(order: CustomerOrder, after: str | None):
    if after is None:
        return None
    if order == CustomerOrder.CREATED:
        return None, parse_after(after)
    found = ids.decode_keyset_cursor(after, order.value)
    try:
        if found is not None:
            text, pk = found
            last_activity = order == CustomerOrder.LAST_ACTIVITY
            value = datetime.fromisoformat(text) if last_activity else int(text)
            return value, pk
    except ValueError:
        pass
    raise bad_input("`after` is not a cursor of this sort.")


@strawberry.type
class CustomerQuery:
    @strawberry.field(
        permission_classes=[IsAdminOrPartner],
        description="Customers, oldest first unless `sortBy` says otherwise; `reverse` turns "
        "the order around. `query` keeps those whose external id starts with it (exactly) "
        "or whose email does (in any case).",
    )
    async def customers(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        query: str | None = None,
        sort_by: CustomerSortKey = CustomerSortKey.CREATED,
        reverse: bool = False,
    ) -> Connection[Customer]:
        size = check_page_size(first)
        if query is not None and len(query) > MAX_SEARCH_LENGTH:
            raise bad_input(f"`query` is at most {MAX_SEARCH_LENGTH} characters.")
        order = CustomerOrder(sort_by.value)
        search = CustomerSearch(info.context.shop.id, order, reverse, (query or "").strip())
        start = _after(order, after)
        found = await customer_page(search, size + 1, start)
        page = [pk for pk, _ in found[:size]]
        rows = {r.id: r for r in await CustomerRow.filter(id__in=page)} if page else {}
        edges = [
            Edge(cursor=_cursor(order, pk, value), node=Customer(row=rows[pk]))
            for pk, value in found[:size]
            if pk in rows
        ]
        has_next = len(found) > size
        return connection(edges, has_next, after, lambda: customer_count(search))

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
            pk = argument_pk("Customer", id)
            row = await CustomerRow.get_or_none(id=pk, shop_id=shop_id)
        else:
            row = await CustomerRow.get_or_none(external_id=external_id, shop_id=shop_id)
        return Customer(row=row) if row else None
