"""Customers as GraphQL."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry.scalars import JSON

from engine.core.enums import LedgerAccount as AccountEnum
from engine.core.money import from_minor
from models import Activity as ActivityRow
from models import Customer as CustomerRow
from models import LedgerEntry as LedgerRow
from resolvers.context import Info
from resolvers.customers.progress import DEFAULT_PROGRESS_STATUSES, RuleProgress, progress_loader
from resolvers.customers.rewards import IssuedReward, rewards_of
from resolvers.enums import ActivityKind, IssuedRewardStatus, LedgerAccount, MilestoneRuleStatus
from resolvers.node import Node
from resolvers.pagination import Connection, paginate
from wire import ids


@strawberry.type
class Activity(Node):
    row: strawberry.Private[ActivityRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return ids.encode("Activity", self.row.id)

    @strawberry.field
    def kind(self) -> ActivityKind:
        return ActivityKind(self.row.kind)

    @strawberry.field(description="The activity's own id: order, refund, review, … id.")
    def external_id(self) -> str:
        return self.row.external_id

    @strawberry.field
    def occurred_at(self) -> datetime:
        return self.row.occurred_at

    @strawberry.field
    def recorded_at(self) -> datetime:
        return self.row.recorded_at

    @strawberry.field(description="What the store sent (money in minor units).")
    def payload(self) -> JSON:
        return self.row.payload

    @strawberry.field
    def customer_id(self) -> strawberry.ID:
        return ids.encode("Customer", self.row.customer_id)


@strawberry.type
class LedgerEntry(Node):
    row: strawberry.Private[LedgerRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return ids.encode("LedgerEntry", self.row.id)

    @strawberry.field
    def account(self) -> LedgerAccount:
        return LedgerAccount(self.row.account)

    @strawberry.field(description="Points, or money for store credit; negative for debits.")
    def delta(self, info: Info) -> Decimal:
        if self.row.account == AccountEnum.STORE_CREDIT.value:
            return from_minor(self.row.delta, info.context.shop.currency)
        return Decimal(self.row.delta)

    @strawberry.field(description="ACTIVITY, REWARD or REVOKE.")
    def reason(self) -> str:
        return self.row.reason

    @strawberry.field
    def issued_reward_id(self) -> strawberry.ID | None:
        rid = self.row.issued_reward_id
        return ids.encode("IssuedReward", rid) if rid else None

    @strawberry.field
    def activity_id(self) -> strawberry.ID | None:
        aid = self.row.activity_id
        return ids.encode("Activity", aid) if aid else None

    @strawberry.field
    def occurred_at(self) -> datetime:
        return self.row.occurred_at


@strawberry.type
class Customer(Node):
    row: strawberry.Private[CustomerRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return ids.encode("Customer", self.row.id)

    @strawberry.field(description="The store's own customer id.")
    def external_id(self) -> str:
        return self.row.external_id

    @strawberry.field
    def email(self) -> str | None:
        return self.row.email

    @strawberry.field
    def first_seen_at(self) -> datetime:
        return self.row.first_seen_at

    @strawberry.field
    def last_activity_at(self) -> datetime:
        return self.row.last_activity_at

    @strawberry.field(description="The sum of the points ledger.")
    def points_balance(self) -> int:
        return self.row.points_balance

    @strawberry.field(description="The sum of the store-credit ledger.")
    def store_credit_balance(self, info: Info) -> Decimal:
        return from_minor(self.row.store_credit_balance, info.context.shop.currency)

    @strawberry.field
    def orders_count(self) -> int:
        return self.row.orders_count

    @strawberry.field(description="Order totals, before refunds.")
    def total_spent(self, info: Info) -> Decimal:
        return from_minor(self.row.total_spent, info.context.shop.currency)

    @strawberry.field
    def total_refunded(self, info: Info) -> Decimal:
        return from_minor(self.row.total_refunded, info.context.shop.currency)

    @strawberry.field
    def reviews_count(self) -> int:
        return self.row.reviews_count

    @strawberry.field
    def referrals_count(self) -> int:
        return self.row.referrals_count

    @strawberry.field(
        description="Progress on the shop's rules of the statuses asked for (by default ACTIVE "
        "and PAUSED: the rules that count activity, or may again), oldest rule first."
    )
    async def progress(
        self,
        info: Info,
        status: list[MilestoneRuleStatus] = DEFAULT_PROGRESS_STATUSES,
    ) -> list[RuleProgress]:
        return await progress_loader(info, widget=False, statuses=status).load(self.row)

    @strawberry.field(description="Issued rewards, newest first.")
    async def rewards(
        self,
        first: int | None = None,
        after: str | None = None,
        status: list[IssuedRewardStatus] | None = None,
    ) -> Connection[IssuedReward]:
        return await rewards_of(self.row.id, first, after, status)

    @strawberry.field(description="Recorded activity, newest first.")
    async def activities(
        self, first: int | None = None, after: str | None = None
    ) -> Connection[Activity]:
        query = ActivityRow.filter(customer_id=self.row.id)
        return await paginate(query, first, after, lambda r: Activity(row=r), descending=True)

    @strawberry.field(description="The points ledger, newest first.")
    async def points_ledger(
        self, first: int | None = None, after: str | None = None
    ) -> Connection[LedgerEntry]:
        return await self._ledger(AccountEnum.POINTS, first, after)

    @strawberry.field(description="The store-credit ledger, newest first.")
    async def store_credit_ledger(
        self, first: int | None = None, after: str | None = None
    ) -> Connection[LedgerEntry]:
        return await self._ledger(AccountEnum.STORE_CREDIT, first, after)

    async def _ledger(self, account: AccountEnum, first, after) -> Connection[LedgerEntry]:
        query = LedgerRow.filter(customer_id=self.row.id, account=account.value)
        return await paginate(query, first, after, lambda r: LedgerEntry(row=r), descending=True)
