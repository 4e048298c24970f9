"""The storefront widget: one customer's balances, rewards and progress, for a STOREFRONT key."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from engine.core.errors import DomainError
from engine.core.money import from_minor
from engine.services.widget import widget_customer
from models import Customer as CustomerRow
from resolvers.context import Info
from resolvers.customers.progress import RuleProgress, progress_loader
from resolvers.customers.rewards import IssuedReward, rewards_of
from resolvers.enums import IssuedRewardStatus
from resolvers.error_codes import bad_input
from resolvers.pagination import Connection
from resolvers.permissions import IsAnyRole


@strawberry.type(description="What the storefront shows one customer, and nothing more.")
class Widget:
    row: strawberry.Private[CustomerRow]

    @strawberry.field
    def customer_external_id(self) -> str:
        return self.row.external_id

    @strawberry.field(description="The shop's currency (ISO 4217): every amount here is in it.")
    def currency(self, info: Info) -> str:
        return info.context.shop.currency

    @strawberry.field
    def points_balance(self) -> int:
        return self.row.points_balance

    @strawberry.field
    def store_credit_balance(self, info: Info) -> Decimal:
        return from_minor(self.row.store_credit_balance, info.context.shop.currency)

    @strawberry.field(description="The customer's rewards, newest first.")
    async def rewards(
        self,
        first: int | None = None,
        after: str | None = None,
        status: list[IssuedRewardStatus] | None = None,
    ) -> Connection[IssuedReward]:
        return await rewards_of(self.row.id, first, after, status)

    @strawberry.field(
        description="Progress on the shop's ACTIVE rules shown on the widget (never INACTIVITY)."
    )
    async def progress(self, info: Info) -> list[RuleProgress]:
        return await progress_loader(info, widget=True).load(self.row)


@strawberry.type
class WidgetQuery:
    @strawberry.field(
        permission_classes=[IsAnyRole],
        description="The widget view of the customer whose `customerDigest` is hex "
        "HMAC-SHA256(shop.widgetSecret, customerExternalId), computed by the store's server. "
        "A wrong digest is BAD_USER_INPUT (\"Customer not found.\").",
    )
    async def widget(
        self, info: Info, customer_external_id: str, customer_digest: str
    ) -> Widget | None:
        try:
            row = await widget_customer(info.context.shop, customer_external_id, customer_digest)
        except DomainError as error:
            # The digest is the caller's proof: a wrong one is a bad argument, whether or not
            # the customer exists.
            raise bad_input(str(error)) from None
        return Widget(row=row)
