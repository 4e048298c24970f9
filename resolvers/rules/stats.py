"""A rule's figures for the admin: loaded for every rule of a page at once, so that a page of
rules with their stats costs the same few statements as one rule (engine/services/reporting.py)."""

from __future__ import annotations

from decimal import Decimal

import strawberry
from strawberry.dataloader import DataLoader

from engine.core.enums import RuleType
from engine.core.money import from_minor
from engine.services.reporting import RewardTotals, customers_reached, customers_with_progress, reward_totals
from models import MilestoneRule as RuleRow
from resolvers.context import Info
from resolvers.error_codes import argument_pk
from resolvers.loaders import Loader, loader


def _totals(info: Info) -> DataLoader:
    async def load(rule_ids: list[int]) -> list[RewardTotals]:
        found = await reward_totals(rule_ids)
        return [found.get(rule_id, RewardTotals()) for rule_id in rule_ids]

    return loader(info, "rule_reward_totals", load)


def _progress_counts(info: Info) -> DataLoader:
    shop_id = info.context.shop.id

    async def load(rules: list[RuleRow]) -> list[int]:
        found = await customers_with_progress(shop_id, [(r.id, RuleType(r.type)) for r in rules])
        return [found[r.id] for r in rules]

    return info.context.loader(
        "rule_progress_counts", lambda: Loader(load_fn=load, cache_key_fn=lambda r: r.id)
    )


def _reached(info: Info) -> DataLoader:
    async def load(milestone_ids: list[int]) -> list[tuple[int, int] | None]:
        found = await customers_reached(milestone_ids)
        return [found.get(pk) for pk in milestone_ids]

    return loader(info, "milestone_customers_reached", load)


@strawberry.type(
    description="A rule's figures across the shop. Rewards count every one ever issued, "
    "whatever became of it since; money is in the shop's currency."
)
class MilestoneRuleStats:
    row: strawberry.Private[RuleRow]

    @strawberry.field(
        description="Customers with a value above zero on the rule: an order, a review, a "
        "point, a billing cycle or a step done; for INACTIVITY, a whole day without activity."
    )
    async def customers_with_progress(self, info: Info) -> int:
        return await _progress_counts(info).load(self.row)

    @strawberry.field(
        description="Customers who hold the milestone's reward (revoked ones aside); null "
        "when `milestone` is not one of this rule's."
    )
    async def customers_reached(self, info: Info, milestone: strawberry.ID) -> int | None:
        found = await _reached(info).load(argument_pk("Milestone", milestone, "milestone"))
        if found is None or found[0] != self.row.id:
            return None
        return found[1]

    @strawberry.field
    async def rewards_issued(self, info: Info) -> int:
        return (await _totals(info).load(self.row.id)).issued

    @strawberry.field(description="Discount and gift codes used at checkout.")
    async def rewards_redeemed(self, info: Info) -> int:
        return (await _totals(info).load(self.row.id)).redeemed

    @strawberry.field(description="Points credited by the rule's points rewards.")
    async def points_issued(self, info: Info) -> Decimal:
        return Decimal((await _totals(info).load(self.row.id)).points)

    @strawberry.field(description="Store credit credited by the rule's store-credit rewards.")
    async def store_credit_issued(self, info: Info) -> Decimal:
        totals = await _totals(info).load(self.row.id)
        return from_minor(totals.store_credit, info.context.shop.currency)

    @strawberry.field(description="The amounts of the fixed-discount codes the rule issued.")
    async def discount_face_value_issued(self, info: Info) -> Decimal:
        totals = await _totals(info).load(self.row.id)
        return from_minor(totals.discount_face_value, info.context.shop.currency)
