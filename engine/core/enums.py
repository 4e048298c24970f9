"""The product's vocabularies. The GraphQL enums are these same classes."""

from enum import Enum


class Plan(str, Enum):
    FREE = "FREE"
    ADVANCED = "ADVANCED"
    ENTERPRISE = "ENTERPRISE"


class Role(str, Enum):
    ADMIN = "ADMIN"
    PARTNER = "PARTNER"
    STOREFRONT = "STOREFRONT"


class RuleType(str, Enum):
    ORDERS_COUNT = "ORDERS_COUNT"
    AMOUNT_SPENT = "AMOUNT_SPENT"
    POINTS_EARNED = "POINTS_EARNED"
    REVIEWS_COUNT = "REVIEWS_COUNT"
    INACTIVITY = "INACTIVITY"
    SUBSCRIPTION_CYCLES = "SUBSCRIPTION_CYCLES"
    MIXED = "MIXED"
    STREAK = "STREAK"


class RuleStatus(str, Enum):
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    ARCHIVED = "ARCHIVED"


class RefundPolicy(str, Enum):
    KEEP = "KEEP"
    REVOKE_UNREDEEMED = "REVOKE_UNREDEEMED"


class MixedStepMetric(str, Enum):
    ORDERS = "ORDERS"
    AMOUNT_SPENT = "AMOUNT_SPENT"
    POINTS_EARNED = "POINTS_EARNED"
    REVIEWS = "REVIEWS"
    REFERRALS = "REFERRALS"
    SUBSCRIPTION_CYCLES = "SUBSCRIPTION_CYCLES"


class StreakPeriod(str, Enum):
    """A STREAK rule's calendar period, in the shop's time zone: an ISO week (Monday first) or
    a month."""

    WEEK = "WEEK"
    MONTH = "MONTH"


class StreakMetric(str, Enum):
    """What a STREAK rule's periods measure (named as MIXED step metrics are)."""

    ORDERS = "ORDERS"
    AMOUNT_SPENT = "AMOUNT_SPENT"
    REVIEWS = "REVIEWS"


class RewardKind(str, Enum):
    POINTS = "POINTS"
    STORE_CREDIT = "STORE_CREDIT"
    FIXED_DISCOUNT = "FIXED_DISCOUNT"
    PERCENTAGE_DISCOUNT = "PERCENTAGE_DISCOUNT"
    FREE_SHIPPING = "FREE_SHIPPING"
    FREE_GIFT = "FREE_GIFT"


CODE_REWARDS = frozenset(
    {
        RewardKind.FIXED_DISCOUNT,
        RewardKind.PERCENTAGE_DISCOUNT,
        RewardKind.FREE_SHIPPING,
        RewardKind.FREE_GIFT,
    }
)


class IssuedRewardStatus(str, Enum):
    ISSUED = "ISSUED"
    REDEEMED = "REDEEMED"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"
    # A customer's-choice milestone reached: the customer picks one of its options.
    PENDING_CHOICE = "PENDING_CHOICE"


class ActivityKind(str, Enum):
    ORDER_PLACED = "ORDER_PLACED"
    ORDER_REFUNDED = "ORDER_REFUNDED"
    REVIEW_POSTED = "REVIEW_POSTED"
    REFERRAL_COMPLETED = "REFERRAL_COMPLETED"
    SUBSCRIPTION_BILLED = "SUBSCRIPTION_BILLED"
    SUBSCRIPTION_CANCELLED = "SUBSCRIPTION_CANCELLED"
    POINTS_EARNED = "POINTS_EARNED"
    SIGNUP = "SIGNUP"


class RewardEventType(str, Enum):
    REWARD_ISSUED = "REWARD_ISSUED"
    REWARD_REDEEMED = "REWARD_REDEEMED"
    REWARD_EXPIRED = "REWARD_EXPIRED"
    REWARD_REVOKED = "REWARD_REVOKED"
    REWARD_CHOICE_PENDING = "REWARD_CHOICE_PENDING"


class RuleChangeAction(str, Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    ACTIVATED = "ACTIVATED"
    PAUSED = "PAUSED"
    ARCHIVED = "ARCHIVED"


class LedgerAccount(str, Enum):
    POINTS = "POINTS"
    STORE_CREDIT = "STORE_CREDIT"


class LedgerReason(str, Enum):
    ACTIVITY = "ACTIVITY"  # points the store reported (recordPointsEarned)
    REWARD = "REWARD"  # a points or store-credit reward issued
    REVOKE = "REVOKE"  # a reward taken back under REVOKE_UNREDEEMED


# Rules that still count: late activity that occurred while they ran, and refunds of orders
# they counted. DRAFT rules never counted anything; ARCHIVED rules are final.
LIVE_STATUSES = frozenset({RuleStatus.ACTIVE, RuleStatus.PAUSED})


class StorePlatform(str, Enum):
    SHOPIFY = "SHOPIFY"
    WOOCOMMERCE = "WOOCOMMERCE"


class CountOrdersOn(str, Enum):
    """Which Shopify webhook counts an order: its creation or its payment."""

    CREATED = "CREATED"
    PAID = "PAID"


class DeliveryOutcome(str, Enum):
    RECORDED = "RECORDED"
    DUPLICATE = "DUPLICATE"
    IGNORED = "IGNORED"
    REJECTED = "REJECTED"
