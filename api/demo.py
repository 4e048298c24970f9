"""The demo shop that `milestones serve --demo` creates once."""

from __future__ import annotations

from decimal import Decimal

from engine.services import keys
from engine.services import rules
from engine.services import shops
from engine.core.drafts import MilestoneDraft, RewardDraft, RuleDraft
from engine.core.enums import MixedStepMetric, Plan, RewardKind, Role, RuleType
from models import Shop

DEMO_SHOP_NAME = "Demo Outfitters"


def _m(threshold: str, reward: RewardDraft, **extra) -> MilestoneDraft:
    return MilestoneDraft(threshold=Decimal(threshold), reward=reward, **extra)


DEMO_RULES = [
    RuleDraft(
        name="Order ladder",
        type=RuleType.ORDERS_COUNT,
        milestones=[
            _m("5", RewardDraft(RewardKind.POINTS, points=100)),
            _m("20", RewardDraft(RewardKind.POINTS, points=500)),
            _m("30", RewardDraft(RewardKind.FREE_GIFT, product_id="shirt-classic", quantity=1)),
        ],
    ),
    RuleDraft(
        name="Big spender",
        type=RuleType.AMOUNT_SPENT,
        reward_expiry_days=30,
        milestones=[
            _m("100", RewardDraft(RewardKind.FIXED_DISCOUNT, amount=Decimal("10"))),
            _m("500", RewardDraft(RewardKind.STORE_CREDIT, amount=Decimal("25"))),
        ],
    ),
    RuleDraft(
        name="Welcome journey",
        type=RuleType.MIXED,
        milestones=[
            _m("1", RewardDraft(RewardKind.POINTS, points=50), step_metric=MixedStepMetric.ORDERS,
               description="Place your first order"),
            _m("1", RewardDraft(RewardKind.FREE_SHIPPING), step_metric=MixedStepMetric.REVIEWS,
               description="Review a product"),
            _m("3", RewardDraft(RewardKind.PERCENTAGE_DISCOUNT, percent=Decimal("15")),
               step_metric=MixedStepMetric.ORDERS, description="Place 3 more orders"),
        ],
    ),
]


async def ensure_demo_shop() -> tuple[Shop, str]:
    """The demo shop (created with its rules on first call) and a fresh ADMIN key for it."""
    shop = await Shop.filter(name=DEMO_SHOP_NAME).order_by("id").first()
    if shop is None:
        shop = await shops.create_shop(DEMO_SHOP_NAME, "USD", Plan.ADVANCED)
        for draft in DEMO_RULES:
            rule = await rules.create_rule(shop, draft, None)
            await rules.activate_rule(shop, rule.id, False, None)
    new = await keys.create_key(shop, Role.ADMIN, name="demo")
    return shop, new.secret
