"""Reward definitions as GraphQL: a union of six types, and the one-of input that writes them."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import strawberry

from engine.core.drafts import RewardDraft
from engine.core.enums import RewardKind
from engine.core.money import from_minor


@strawberry.type
class PointsReward:
    points: int


@strawberry.type
class StoreCreditReward:
    amount: Decimal


@strawberry.type
class FixedDiscountReward:
    amount: Decimal
    minimum_subtotal: Decimal | None


@strawberry.type
class PercentageDiscountReward:
    percent: Decimal
    minimum_subtotal: Decimal | None


@strawberry.type
class FreeShippingReward:
    max_shipping_amount: Decimal | None


@strawberry.type
class FreeGiftReward:
    product_id: str
    variant_id: str | None
    quantity: int
    product_title: str | None = strawberry.field(
        description="The gift's name as shoppers read it (the storefront widget shows it)."
    )


Reward = Annotated[
    PointsReward
    | StoreCreditReward
    | FixedDiscountReward
    | PercentageDiscountReward
    | FreeShippingReward
    | FreeGiftReward,
    strawberry.union("Reward"),
]


def reward_of(stored: dict[str, Any]):
    """The GraphQL object for a stored reward definition (or an issued reward's snapshot)."""
    currency = stored.get("currency")

    def money(name: str) -> Decimal | None:
        value = stored.get(name)
        return None if value is None else from_minor(value, currency)

    kind = RewardKind(stored["kind"])
    if kind == RewardKind.POINTS:
        return PointsReward(points=stored["points"])
    if kind == RewardKind.STORE_CREDIT:
        return StoreCreditReward(amount=money("amount"))
    if kind == RewardKind.FIXED_DISCOUNT:
        return FixedDiscountReward(amount=money("amount"), minimum_subtotal=money("minimumSubtotal"))
    if kind == RewardKind.PERCENTAGE_DISCOUNT:
        return PercentageDiscountReward(
            percent=Decimal(stored["percent"]), minimum_subtotal=money("minimumSubtotal")
        )
    if kind == RewardKind.FREE_SHIPPING:
        return FreeShippingReward(max_shipping_amount=money("maxShippingAmount"))
    return FreeGiftReward(
        product_id=stored["productId"],
        variant_id=stored.get("variantId"),
        quantity=stored["quantity"],
        product_title=stored.get("productTitle"),
    )


@strawberry.input
class PointsRewardInput:
    points: int


@strawberry.input
class StoreCreditRewardInput:
    amount: Decimal


@strawberry.input
class FixedDiscountRewardInput:
    amount: Decimal
    minimum_subtotal: Decimal | None = None


@strawberry.input
class PercentageDiscountRewardInput:
    percent: Decimal
    minimum_subtotal: Decimal | None = None


@strawberry.input
class FreeShippingRewardInput:
    max_shipping_amount: Decimal | None = None


@strawberry.input
class FreeGiftRewardInput:
    product_id: str
    variant_id: str | None = None
    quantity: int = 1
    product_title: str | None = strawberry.field(
        default=None, description="The gift's name as shoppers read it (\"Classic shirt\")."
    )


@strawberry.input(one_of=True, description="Exactly one reward.")
class RewardInput:
    points: strawberry.Maybe[PointsRewardInput]
    store_credit: strawberry.Maybe[StoreCreditRewardInput]
    fixed_discount: strawberry.Maybe[FixedDiscountRewardInput]
    percentage_discount: strawberry.Maybe[PercentageDiscountRewardInput]
    free_shipping: strawberry.Maybe[FreeShippingRewardInput]
    free_gift: strawberry.Maybe[FreeGiftRewardInput]

    def to_draft(self) -> RewardDraft:
        if self.points:
            return RewardDraft(RewardKind.POINTS, points=self.points.value.points)
        if self.store_credit:
            return RewardDraft(RewardKind.STORE_CREDIT, amount=self.store_credit.value.amount)
        if self.fixed_discount:
            value = self.fixed_discount.value
            return RewardDraft(
                RewardKind.FIXED_DISCOUNT, amount=value.amount, minimum_subtotal=value.minimum_subtotal
            )
        if self.percentage_discount:
            value = self.percentage_discount.value
            return RewardDraft(
                RewardKind.PERCENTAGE_DISCOUNT,
                percent=value.percent,
                minimum_subtotal=value.minimum_subtotal,
            )
        if self.free_shipping:
            return RewardDraft(
                RewardKind.FREE_SHIPPING, max_shipping_amount=self.free_shipping.value.max_shipping_amount
            )
        value = self.free_gift.value
        return RewardDraft(
            RewardKind.FREE_GIFT,
            product_id=value.product_id,
            variant_id=value.variant_id,
            quantity=value.quantity,
            product_title=value.product_title,
        )
