"""Rule and reward definitions as a merchant writes them, and their validation.

A draft comes in with `Decimal` money and thresholds; validation turns it into what is stored:
integer thresholds in the rule's unit (minor units for money) and reward definitions as plain
dicts with money in minor units and the shop's currency named, so a snapshot stands alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from engine.core.enums import MixedStepMetric, RefundPolicy, RewardKind, RuleType, StreakMetric, StreakPeriod
from engine.core.errors import Path, Problems
from engine.core.money import MoneyError, from_minor, to_minor

MAX_MILESTONES = 5000
MAX_COUNT = 10**12
MAX_POINTS = 10**9
MAX_EXPIRY_DAYS = 3650
MIN_OPTIONS, MAX_OPTIONS = 2, 4

# The member of the one-of reward input that carries each kind, so that a problem's path
# names the input field the merchant actually wrote (`reward.storeCredit.amount`).
REWARD_INPUT_MEMBER = {
    RewardKind.POINTS: "points",
    RewardKind.STORE_CREDIT: "storeCredit",
    RewardKind.FIXED_DISCOUNT: "fixedDiscount",
    RewardKind.PERCENTAGE_DISCOUNT: "percentageDiscount",
    RewardKind.FREE_SHIPPING: "freeShipping",
    RewardKind.FREE_GIFT: "freeGift",
}


@dataclass
class RewardDraft:
    kind: RewardKind
    points: int | None = None
    amount: Decimal | None = None
    minimum_subtotal: Decimal | None = None
    percent: Decimal | None = None
    max_shipping_amount: Decimal | None = None
    product_id: str | None = None
    variant_id: str | None = None
    quantity: int | None = None
    product_title: str | None = None  # the gift's name as shoppers read it


@dataclass
class MilestoneDraft:
    threshold: Decimal
    reward: RewardDraft | None  # None for a customer's-choice milestone
    step_metric: MixedStepMetric | None = None
    description: str | None = None
    id: int | None = None  # on update: the existing milestone this one keeps
    reward_options: list[RewardDraft] | None = None  # the customer's choice, instead of `reward`
    choice_expiry_days: int | None = None


@dataclass
class RuleDraft:
    name: str
    type: RuleType
    milestones: list[MilestoneDraft]
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    refund_policy: RefundPolicy = RefundPolicy.KEEP
    reward_expiry_days: int | None = None
    # STREAK rules only: the period, what it measures, what it must hold (None: at least 1).
    period: StreakPeriod | None = None
    streak_metric: StreakMetric | None = None
    minimum_per_period: Decimal | None = None


@dataclass
class MilestoneSpec:
    """A validated milestone, ready to store."""

    threshold: int
    reward: dict[str, Any]  # a customer's-choice milestone's first option, its default
    step_metric: str | None
    description: str | None
    id: int | None = None
    reward_options: list[dict[str, Any]] | None = None
    choice_expiry_days: int | None = None

    def as_json(self, rule_type: RuleType, currency: str) -> dict[str, Any]:
        """As the API shows it (money and thresholds as decimal strings), for the history."""
        threshold = threshold_decimal(rule_type, self.step_metric, self.threshold, currency)
        shown: dict[str, Any] = {
            "id": self.id,
            "threshold": str(threshold),
            "stepMetric": self.step_metric,
            "description": self.description,
            "reward": public_reward(self.reward),
        }
        if self.reward_options:
            shown["rewardOptions"] = [public_reward(option) for option in self.reward_options]
            shown["choiceExpiryDays"] = self.choice_expiry_days
        return shown


@dataclass
class RuleSpec:
    """A validated rule, ready to store."""

    name: str
    type: RuleType
    starts_at: datetime | None
    ends_at: datetime | None
    refund_policy: RefundPolicy
    reward_expiry_days: int | None
    milestones: list[MilestoneSpec] = field(default_factory=list)
    period: StreakPeriod | None = None
    streak_metric: StreakMetric | None = None
    streak_minimum: int | None = None  # in the metric's unit: a count, or minor units


_ORDINALS = "first second third fourth fifth sixth seventh eighth ninth tenth".split()


def ordinal(index: int) -> str:
    """The milestone at 0-based `index` (as in a field path) in words: "first", "second", …,
    then "11th", "12th", "21st"."""
    number = index + 1
    if number <= len(_ORDINALS):
        return _ORDINALS[index]
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{'th' if 10 <= number % 100 <= 20 else suffix}"


def is_money_metric(rule_type: RuleType, step_metric: MixedStepMetric | None) -> bool:
    if rule_type == RuleType.MIXED:
        return step_metric == MixedStepMetric.AMOUNT_SPENT
    return rule_type == RuleType.AMOUNT_SPENT


def validate_rule(draft: RuleDraft, currency: str) -> RuleSpec:
    """Check a draft against docs/concepts.md, "Rules and milestones" and "Rewards".

    Raises DomainError with every problem found.
    """
    problems = Problems()
    name = draft.name.strip()
    if not 1 <= len(name) <= 120:
        problems.add("INVALID", "Name must be 1 to 120 characters.", ("name",))
    if draft.starts_at and draft.ends_at and draft.ends_at <= draft.starts_at:
        problems.add("INVALID", "endsAt must be after startsAt.", ("endsAt",))
    expiry = draft.reward_expiry_days
    if expiry is not None and not 1 <= expiry <= MAX_EXPIRY_DAYS:
        problems.add(
            "INVALID",
            f"rewardExpiryDays must be between 1 and {MAX_EXPIRY_DAYS}.",
            ("rewardExpiryDays",),
        )
    if not draft.milestones:
        problems.add("INVALID", "A rule needs at least one milestone.", ("milestones",))
    if len(draft.milestones) > MAX_MILESTONES:
        problems.add("INVALID", f"A rule has at most {MAX_MILESTONES} milestones.", ("milestones",))

    streak_minimum = _validate_streak(draft, currency, problems)
    specs: list[MilestoneSpec] = []
    previous: int | None = None
    for index, milestone in enumerate(draft.milestones[:MAX_MILESTONES]):
        path: Path = ("milestones", index)
        spec = _validate_milestone(draft.type, milestone, currency, path, problems)
        if spec is None:
            previous = None
            continue
        if draft.type != RuleType.MIXED and previous is not None and spec.threshold <= previous:
            problems.add(
                "THRESHOLDS_NOT_INCREASING",
                f"The {ordinal(index)} milestone's threshold must be higher than the "
                f"{ordinal(index - 1)} milestone's.",
                (*path, "threshold"),
            )
        previous = spec.threshold
        specs.append(spec)
    problems.raise_if_any()
    return RuleSpec(
        name=name,
        type=RuleType(draft.type),
        starts_at=draft.starts_at,
        ends_at=draft.ends_at,
        refund_policy=RefundPolicy(draft.refund_policy or RefundPolicy.KEEP),
        reward_expiry_days=expiry,
        milestones=specs,
        period=draft.period if draft.type == RuleType.STREAK else None,
        streak_metric=draft.streak_metric if draft.type == RuleType.STREAK else None,
        streak_minimum=streak_minimum,
    )


def _validate_streak(draft: RuleDraft, currency: str, problems: Problems) -> int | None:
    """A STREAK rule needs `period` and `streakMetric`; `minimumPerPeriod` is a whole count
    of orders or reviews, or an amount of the shop's currency. Other types take none of them."""
    given = {"period": draft.period, "streakMetric": draft.streak_metric, "minimumPerPeriod": draft.minimum_per_period}
    if draft.type != RuleType.STREAK:
        for name, value in given.items():
            if value is not None:
                problems.add("INVALID", f"{name} is only for STREAK rules.", (name,))
        return None
    for name in ("period", "streakMetric"):
        if given[name] is None:
            problems.add("INVALID", f"A STREAK rule needs {name}.", (name,))
    minimum = draft.minimum_per_period
    if minimum is None:
        return None
    path: Path = ("minimumPerPeriod",)
    if not Decimal(minimum).is_finite() or minimum <= 0:
        problems.add("INVALID", "minimumPerPeriod must be greater than 0.", path)
        return None
    if draft.streak_metric == StreakMetric.AMOUNT_SPENT:
        return _money(minimum, currency, path, problems)
    if minimum.adjusted() > 12 or minimum > MAX_COUNT:
        problems.add("INVALID", f"minimumPerPeriod is at most {MAX_COUNT}.", path)
        return None
    if minimum != minimum.to_integral_value():
        problems.add("INVALID", "minimumPerPeriod must be a whole number of orders or reviews.", path)
        return None
    return int(minimum)


def streak_minimum_decimal(metric: str | None, minimum: int | None, currency: str) -> Decimal | None:
    """A stored minimumPerPeriod as the API shows it: money for AMOUNT_SPENT, else a count."""
    if minimum is None:
        return None
    if metric == StreakMetric.AMOUNT_SPENT.value:
        return from_minor(minimum, currency)
    return Decimal(minimum)


def _validate_milestone(
    rule_type: RuleType, draft: MilestoneDraft, currency: str, path: Path, problems: Problems
) -> MilestoneSpec | None:
    before = len(problems.items)
    metric = draft.step_metric
    if rule_type == RuleType.MIXED and metric is None:
        problems.add("INVALID", "Each step of a MIXED rule needs a stepMetric.", (*path, "stepMetric"))
    if rule_type != RuleType.MIXED and metric is not None:
        problems.add("INVALID", "stepMetric is only for MIXED rules.", (*path, "stepMetric"))
    if draft.description is not None and len(draft.description) > 500:
        problems.add("INVALID", "Description is at most 500 characters.", (*path, "description"))
    threshold = _threshold(rule_type, metric, draft.threshold, currency, (*path, "threshold"), problems)
    rewards = _validate_rewards(draft, currency, path, problems)
    if len(problems.items) > before or threshold is None or not rewards:
        return None
    return MilestoneSpec(
        threshold=threshold,
        reward=rewards[0],
        step_metric=metric.value if metric else None,
        description=draft.description,
        id=draft.id,
        reward_options=rewards if draft.reward_options is not None else None,
        choice_expiry_days=draft.choice_expiry_days,
    )


def _validate_rewards(
    draft: MilestoneDraft, currency: str, path: Path, problems: Problems
) -> list[dict[str, Any]] | None:
    """A milestone's one reward, or its customer's-choice options in order (the first is the
    default the sweep gives when the choice expires); None after adding problems."""
    options, expiry = draft.reward_options, draft.choice_expiry_days
    if expiry is not None and options is None:
        problems.add("INVALID", "choiceExpiryDays is only for rewardOptions.", (*path, "choiceExpiryDays"))
    elif expiry is not None and not 1 <= expiry <= MAX_EXPIRY_DAYS:
        problems.add(
            "INVALID", f"choiceExpiryDays must be between 1 and {MAX_EXPIRY_DAYS}.", (*path, "choiceExpiryDays")
        )
    if options is None:
        if draft.reward is None:
            problems.add("INVALID", "A milestone needs a reward or rewardOptions.", (*path, "reward"))
            return None
        reward = validate_reward(draft.reward, currency, (*path, "reward"), problems)
        return None if reward is None else [reward]
    if draft.reward is not None:
        problems.add("INVALID", "Give either reward or rewardOptions, not both.", (*path, "rewardOptions"))
        return None
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        problems.add(
            "INVALID", f"rewardOptions holds {MIN_OPTIONS} to {MAX_OPTIONS} rewards.", (*path, "rewardOptions")
        )
        return None
    found = [validate_reward(o, currency, (*path, "rewardOptions", j), problems) for j, o in enumerate(options)]
    return None if any(f is None for f in found) else [f for f in found if f is not None]


def _threshold(
    rule_type: RuleType,
    metric: MixedStepMetric | None,
    value: Decimal,
    currency: str,
    path: Path,
    problems: Problems,
) -> int | None:
    if not Decimal(value).is_finite() or value <= 0:
        problems.add("INVALID", "Threshold must be greater than 0.", path)
        return None
    if is_money_metric(rule_type, metric):
        return _money(value, currency, path, problems)
    if value.adjusted() > 12:
        problems.add("INVALID", f"Threshold is at most {MAX_COUNT}.", path)
        return None
    if value != value.to_integral_value():
        problems.add("INVALID", "Threshold must be a whole number.", path)
        return None
    if value > MAX_COUNT:
        problems.add("INVALID", f"Threshold is at most {MAX_COUNT}.", path)
        return None
    return int(value)


def _money(value: Decimal, currency: str, path: Path, problems: Problems) -> int | None:
    try:
        return to_minor(value, currency)
    except MoneyError as exc:
        problems.add("INVALID", f"Invalid amount: {exc}.", path)
        return None


def validate_reward(
    draft: RewardDraft, currency: str, path: Path, problems: Problems
) -> dict[str, Any] | None:
    """The stored form of a reward definition, or None after adding problems at
    `path` + the kind's input member + the field."""
    kind = RewardKind(draft.kind)
    path = (*path, REWARD_INPUT_MEMBER[kind])
    before = len(problems.items)

    def positive_money(value: Decimal | None, name: str) -> int | None:
        if value is None or not Decimal(value).is_finite() or value <= 0:
            problems.add("INVALID", f"{name} must be greater than 0.", (*path, name))
            return None
        return _money(value, currency, (*path, name), problems)

    def optional_money(value: Decimal | None, name: str) -> int | None:
        if value is None:
            return None
        if not Decimal(value).is_finite() or value < 0:
            problems.add("INVALID", f"{name} must not be negative.", (*path, name))
            return None
        return _money(value, currency, (*path, name), problems)

    result: dict[str, Any] = {"kind": kind.value}
    if kind == RewardKind.POINTS:
        if draft.points is None or not 1 <= draft.points <= MAX_POINTS:
            problems.add("INVALID", f"points must be between 1 and {MAX_POINTS}.", (*path, "points"))
        result["points"] = draft.points
    elif kind == RewardKind.STORE_CREDIT:
        result.update(currency=currency, amount=positive_money(draft.amount, "amount"))
    elif kind == RewardKind.FIXED_DISCOUNT:
        result.update(
            currency=currency,
            amount=positive_money(draft.amount, "amount"),
            minimumSubtotal=optional_money(draft.minimum_subtotal, "minimumSubtotal"),
        )
    elif kind == RewardKind.PERCENTAGE_DISCOUNT:
        percent, plain = draft.percent, None
        if percent is None or not Decimal(percent).is_finite() or not 0 < percent <= 100:
            problems.add("INVALID", "percent must be above 0 and at most 100.", (*path, "percent"))
        elif percent != percent.quantize(Decimal("0.01")):
            problems.add("INVALID", "percent has at most 2 decimal places.", (*path, "percent"))
        else:
            # Only a valid percent is normalized: a huge one would overflow.
            plain = _plain(percent)
        result.update(
            currency=currency,
            percent=plain,
            minimumSubtotal=optional_money(draft.minimum_subtotal, "minimumSubtotal"),
        )
    elif kind == RewardKind.FREE_SHIPPING:
        result.update(
            currency=currency,
            maxShippingAmount=optional_money(draft.max_shipping_amount, "maxShippingAmount"),
        )
    elif kind == RewardKind.FREE_GIFT:
        product = (draft.product_id or "").strip()
        if not 1 <= len(product) <= 255:
            problems.add("INVALID", "productId must be 1 to 255 characters.", (*path, "productId"))
        variant = draft.variant_id.strip() if draft.variant_id else None
        if variant is not None and not 1 <= len(variant) <= 255:
            problems.add("INVALID", "variantId must be 1 to 255 characters.", (*path, "variantId"))
        quantity = 1 if draft.quantity is None else draft.quantity
        if not 1 <= quantity <= 1000:
            problems.add("INVALID", "quantity must be between 1 and 1000.", (*path, "quantity"))
        result.update(productId=product, variantId=variant, quantity=quantity)
        title = draft.product_title.strip() if draft.product_title is not None else None
        if title is not None and not 1 <= len(title) <= 255:
            problems.add("INVALID", "productTitle must be 1 to 255 characters.", (*path, "productTitle"))
        if title:  # stored only when given, so that older snapshots read the same
            result["productTitle"] = title
    if len(problems.items) > before:
        return None
    return result


def _plain(value: Decimal) -> str:
    """`Decimal('15.50')` → `'15.5'`, `Decimal('100')` → `'100'` (never exponent notation)."""
    return format(value.normalize(), "f")


def threshold_decimal(
    rule_type: RuleType, step_metric: str | None, threshold: int, currency: str
) -> Decimal:
    """A stored threshold as the API shows it: money in the shop's currency, else a count."""
    metric = MixedStepMetric(step_metric) if step_metric else None
    if is_money_metric(RuleType(rule_type), metric):
        return from_minor(threshold, currency)
    return Decimal(threshold)


def reward_draft_of(stored: dict[str, Any]) -> RewardDraft:
    """The draft that validates back into `stored` (used to re-validate on partial updates)."""
    currency = str(stored.get("currency") or "")

    def money(name: str) -> Decimal | None:
        value = stored.get(name)
        return None if value is None else from_minor(value, currency)

    kind = RewardKind(stored["kind"])
    return RewardDraft(
        kind=kind,
        points=stored.get("points"),
        amount=money("amount"),
        minimum_subtotal=money("minimumSubtotal"),
        percent=Decimal(stored["percent"]) if stored.get("percent") is not None else None,
        max_shipping_amount=money("maxShippingAmount"),
        product_id=stored.get("productId"),
        variant_id=stored.get("variantId"),
        quantity=stored.get("quantity"),
        product_title=stored.get("productTitle"),
    )


MONEY_FIELDS = ("amount", "minimumSubtotal", "maxShippingAmount")


def public_reward(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored reward definition with its money as decimal strings of its currency."""
    currency = str(stored.get("currency") or "")
    return {
        key: str(from_minor(value, currency)) if key in MONEY_FIELDS and value is not None else value
        for key, value in stored.items()
    }
