"""The demo shop that `milestones serve --demo` creates once."""

from __future__ import annotations

from decimal import Decimal

from engine.core.drafts import MilestoneDraft, RewardDraft, RuleDraft
from engine.core.enums import MixedStepMetric, Plan, RewardKind, Role, RuleType
from engine.services import keys, rules, shops
from models import ApiKey, Shop

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
            _m("30", RewardDraft(
                RewardKind.FREE_GIFT, product_id="shirt-classic", quantity=1,
                product_title="Classic shirt",
            )),
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


DEMO_KEY_NAME = "demo"


async def ensure_demo_shop() -> tuple[Shop, str]:
    """The demo shop (created with its rules on first call) and its ADMIN key."""
    shop = await Shop.filter(name=DEMO_SHOP_NAME).order_by("id").first()
    if shop is None:
        shop = await create_demo_shop()
    return shop, await rotate_demo_key(shop)


async def create_demo_shop() -> Shop:
    shop = await shops.create_shop(DEMO_SHOP_NAME, "USD", Plan.ADVANCED)
    for draft in DEMO_RULES:
        rule = await rules.create_rule(shop, draft, None)
        await rules.activate_rule(shop, rule.id, False, None)
    return shop


async def rotate_demo_key(shop: Shop) -> str:
    """A new ADMIN key named "demo", the previous one revoked: a key's secret is stored only
    as a hash, so it cannot be shown again, and restarts must not pile up live keys."""
    for old in await ApiKey.filter(shop_id=shop.id, name=DEMO_KEY_NAME, revoked_at=None):
        await keys.revoke_key(shop, old.id)
    new = await keys.create_key(shop, Role.ADMIN, name=DEMO_KEY_NAME)
    return new.secret
