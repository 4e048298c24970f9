"""Milestone rules: create, change, move through their statuses, and keep their history.

Every change bumps the rule's `version` in the statement that makes it, so a ladder cached by
version is never stale. Activating a rule (and editing what a live rule counts) recomputes its
progress from the activity log (engine/services/recompute.py).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from engine.core.drafts import (
    MilestoneDraft,
    MilestoneSpec,
    RuleDraft,
    RuleSpec,
    reward_draft_of,
    streak_minimum_decimal,
    threshold_decimal,
    validate_rule,
)
from engine.core.enums import (
    MixedStepMetric,
    Plan,
    RefundPolicy,
    RuleChangeAction,
    RuleStatus,
    RuleType,
    StreakMetric,
    StreakPeriod,
)
from engine.core.errors import DomainError, Problems, not_found
from engine.core.rules import periods_after_activation, periods_after_pause
from engine.services import clock, recompute
from engine.store.rules import periods_of, stored_periods
from models import Milestone, MilestoneRule, RuleChange, Shop

PAID_PLANS = frozenset({Plan.ADVANCED.value, Plan.ENTERPRISE.value})
_A_RULE = {
    RuleStatus.DRAFT: "A draft rule",
    RuleStatus.ACTIVE: "An active rule",
    RuleStatus.PAUSED: "A paused rule",
    RuleStatus.ARCHIVED: "An archived rule",
}
_BECOME = {
    RuleStatus.ACTIVE: "activated", RuleStatus.PAUSED: "paused", RuleStatus.ARCHIVED: "archived"
}


def transition_refused(status: str, to: RuleStatus) -> DomainError:
    """The refusal of a status change, as a sentence: "An archived rule cannot be activated"."""
    if RuleStatus(status) == to:
        message = f"The rule is already {to.value.lower()}."
    else:
        message = f"{_A_RULE[RuleStatus(status)]} cannot be {_BECOME[to]}."
    return DomainError.one("INVALID_STATUS_TRANSITION", message, ("id",))


async def get_rule(shop: Shop, rule_id: int, field: tuple = ("id",)) -> MilestoneRule:
    rule = await MilestoneRule.get_or_none(id=rule_id, shop_id=shop.id)
    if rule is None:
        raise not_found("Milestone rule", field)
    return rule


async def live_milestones(rule_id: int) -> list[Milestone]:
    return await Milestone.filter(rule_id=rule_id, retired_at=None).order_by("position")


def new_rule_spec(draft: RuleDraft, currency: str) -> RuleSpec:
    """A new rule's draft, validated (what createMilestoneRule and a preview refuse alike)."""
    if any(m.id is not None for m in draft.milestones):
        raise DomainError.one("INVALID", "A new rule cannot reuse milestone ids.", ("milestones",))
    return validate_rule(draft, currency)


async def create_rule(shop: Shop, draft: RuleDraft, actor_key_id: int | None) -> MilestoneRule:
    """Validate and store a new DRAFT rule (any plan may write drafts)."""
    spec = new_rule_spec(draft, shop.currency)
    async with in_transaction():
        rule = await MilestoneRule.create(
            shop_id=shop.id,
            name=spec.name,
            type=spec.type.value,
            status=RuleStatus.DRAFT.value,
            starts_at=spec.starts_at,
            ends_at=spec.ends_at,
            refund_policy=spec.refund_policy.value,
            reward_expiry_days=spec.reward_expiry_days,
            **_streak_columns(spec),
        )
        await _store_milestones(rule, spec, existing=[])
        await _record(rule, RuleChangeAction.CREATED, _snapshot(spec, shop.currency), actor_key_id)
    return rule


async def update_rule(
    shop: Shop, rule_id: int, patch: dict[str, Any], actor_key_id: int | None
) -> MilestoneRule:
    """Apply the given fields; `milestones`, when given, replaces the list.

    A milestone in the new list that names an existing `id` keeps it (and the rewards issued for
    it); existing milestones left out are retired.
    """
    await get_rule(shop, rule_id)
    async with in_transaction():
        # Checked under the row lock: an archive, activation or update running at the same
        # time cannot slip between these checks and the write.
        rule = await MilestoneRule.select_for_update().get(id=rule_id)
        if rule.status == RuleStatus.ARCHIVED.value:
            raise DomainError.one(
                "INVALID_STATUS_TRANSITION", "An archived rule cannot be changed.", ("id",)
            )
        existing = await live_milestones(rule.id)
        spec = _patched_spec(rule, existing, patch, shop.currency)
        before = _snapshot(_spec_of(rule, existing), shop.currency)
        rule.name = spec.name
        rule.type = spec.type.value
        rule.starts_at = spec.starts_at
        rule.ends_at = spec.ends_at
        rule.refund_policy = spec.refund_policy.value
        rule.reward_expiry_days = spec.reward_expiry_days
        for name, value in _streak_columns(spec).items():
            setattr(rule, name, value)
        rule.version += 1
        await rule.save()
        if "milestones" in patch:
            await _store_milestones(rule, spec, existing)
        after = _snapshot(spec, shop.currency)
        keys = [*after, *(k for k in before if k not in after)]  # a STREAK rule's fields come and go
        changes = {k: {"from": before.get(k), "to": after.get(k)} for k in keys if before.get(k) != after.get(k)}
        if changes:
            await _record(rule, RuleChangeAction.UPDATED, changes, actor_key_id)
    if rule.status in LIVE and _changes_what_counts(before, after):
        # What the rule counts or grants changed: its progress is recomputed from the log, and
        # milestones customers now meet are granted (held grants are never granted again).
        await recompute.recompute(shop, rule.id)
    return rule


LIVE = (RuleStatus.ACTIVE.value, RuleStatus.PAUSED.value)


def _changes_what_counts(before: dict[str, Any], after: dict[str, Any]) -> bool:
    def counting(snapshot: dict[str, Any]) -> tuple:
        steps = [(m["id"], m["threshold"], m["stepMetric"]) for m in snapshot["milestones"]]
        streak = tuple(snapshot.get(name) for name in STREAK_FIELDS)
        return snapshot["startsAt"], snapshot["endsAt"], steps, streak

    return counting(before) != counting(after)


def _patched_spec(
    rule: MilestoneRule, existing: list[Milestone], patch: dict[str, Any], currency: str
) -> RuleSpec:
    """The rule as `patch` leaves it, validated; milestone ids must be the rule's own."""
    current = _draft_of(rule, existing, currency)
    if patch.get("type", current.type) != RuleType.STREAK:
        # Leaving STREAK drops its settings, unless the caller gave them (which is refused).
        current = replace(current, period=None, streak_metric=None, minimum_per_period=None)
    draft = replace(current, **patch)
    problems = Problems()
    if draft.type != current.type and rule.ever_activated:
        problems.add(
            "TYPE_LOCKED", "The type cannot change once the rule has been activated.", ("type",)
        )
    elif draft.period != current.period and rule.ever_activated:
        # A streak's grants are named by the first day of its first period: another calendar
        # would name the same streak anew and grant its milestones again.
        problems.add(
            "PERIOD_LOCKED", "The period cannot change once the rule has been activated.", ("period",)
        )
    known = {m.id for m in existing}
    seen: set[int] = set()
    if "milestones" in patch:
        for index, milestone in enumerate(draft.milestones):
            path = ("milestones", index, "id")
            if milestone.id is None:
                continue
            if milestone.id not in known:
                problems.add("NOT_FOUND", "Milestone not found in this rule.", path)
            elif milestone.id in seen:
                problems.add("INVALID", "A milestone can be listed only once.", path)
            seen.add(milestone.id)
    problems.raise_if_any()
    return validate_rule(draft, currency)


async def activate_rule(
    shop: Shop, rule_id: int, count_past_activity: bool, actor_key_id: int | None
) -> MilestoneRule:
    """DRAFT or PAUSED → ACTIVE, on a paid plan. With `count_past_activity`, the shop's
    recorded activity in the window counts and what it reaches is granted now."""
    rule = await get_rule(shop, rule_id)
    if shop.plan not in PAID_PLANS:
        raise DomainError.one(
            "PLAN_REQUIRED", "Milestone rules can be activated on the ADVANCED or ENTERPRISE plan.", ("id",)
        )
    if rule.status not in (RuleStatus.DRAFT.value, RuleStatus.PAUSED.value):
        raise transition_refused(rule.status, RuleStatus.ACTIVE)
    now = clock.now()
    async with in_transaction():
        rule = await MilestoneRule.select_for_update().get(id=rule.id)
        if rule.status not in (RuleStatus.DRAFT.value, RuleStatus.PAUSED.value):
            raise transition_refused(rule.status, RuleStatus.ACTIVE)
        previous = rule.status
        rule.status = RuleStatus.ACTIVE.value
        rule.ever_activated = True
        rule.activated_at = now
        rule.count_past_activity = count_past_activity
        periods = periods_after_activation(periods_of(rule.counting_periods), now, count_past_activity)
        rule.counting_periods = stored_periods(periods)
        rule.version += 1
        await rule.save()
        await _record(
            rule,
            RuleChangeAction.ACTIVATED,
            {"status": {"from": previous, "to": rule.status}, "countPastActivity": count_past_activity},
            actor_key_id,
        )
    # Activity that committed while the rule turned ACTIVE may have missed it: the recompute,
    # under each customer's lock, counts it (all of the window with countPastActivity, else
    # only what occurred since the activation).
    await recompute.recompute(shop, rule.id, since=None if count_past_activity else now)
    return rule


async def pause_rule(shop: Shop, rule_id: int, actor_key_id: int | None) -> MilestoneRule:
    return await _transition(
        shop, rule_id, {RuleStatus.ACTIVE}, RuleStatus.PAUSED, RuleChangeAction.PAUSED, actor_key_id
    )


async def archive_rule(shop: Shop, rule_id: int, actor_key_id: int | None) -> MilestoneRule:
    return await _transition(
        shop,
        rule_id,
        {RuleStatus.DRAFT, RuleStatus.ACTIVE, RuleStatus.PAUSED},
        RuleStatus.ARCHIVED,
        RuleChangeAction.ARCHIVED,
        actor_key_id,
    )


async def _transition(
    shop: Shop,
    rule_id: int,
    allowed_from: set[RuleStatus],
    to: RuleStatus,
    action: RuleChangeAction,
    actor_key_id: int | None,
) -> MilestoneRule:
    await get_rule(shop, rule_id)
    async with in_transaction():
        rule = await MilestoneRule.select_for_update().get(id=rule_id)
        if RuleStatus(rule.status) not in allowed_from:
            raise transition_refused(rule.status, to)
        previous = rule.status
        rule.status = to.value
        rule.counting_periods = stored_periods(periods_after_pause(periods_of(rule.counting_periods), clock.now()))
        rule.version += 1
        await rule.save(update_fields=["status", "counting_periods", "version", "updated_at"])
        await _record(rule, action, {"status": {"from": previous, "to": to.value}}, actor_key_id)
    return rule


async def _store_milestones(
    rule: MilestoneRule, spec: RuleSpec, existing: list[Milestone]
) -> None:
    by_id = {m.id: m for m in existing}
    kept: set[int] = set()
    now = clock.now()
    fresh: list[Milestone] = []
    for position, m in enumerate(spec.milestones):
        if m.id is not None:
            row = by_id[m.id]
            row.position = position
            row.threshold = m.threshold
            row.step_metric = m.step_metric
            row.description = m.description
            row.reward = m.reward
            row.reward_options = m.reward_options
            row.choice_expiry_days = m.choice_expiry_days
            await row.save()
            kept.add(m.id)
        else:
            fresh.append(
                Milestone(
                    rule_id=rule.id,
                    position=position,
                    threshold=m.threshold,
                    step_metric=m.step_metric,
                    description=m.description,
                    reward=m.reward,
                    reward_options=m.reward_options,
                    choice_expiry_days=m.choice_expiry_days,
                )
            )
    retired = [m.id for m in existing if m.id not in kept]
    if retired:
        await Milestone.filter(id__in=retired).update(retired_at=now)
    if fresh:
        await Milestone.bulk_create(fresh)


async def _record(
    rule: MilestoneRule, action: RuleChangeAction, changes: dict, actor_key_id: int | None
) -> None:
    await RuleChange.create(
        rule_id=rule.id,
        api_key_id=actor_key_id,
        action=action.value,
        changes=_jsonable(changes),
        changed_at=clock.now(),
    )


def _snapshot(spec: RuleSpec, currency: str) -> dict[str, Any]:
    snapshot = {
        "name": spec.name,
        "type": spec.type.value,
        "startsAt": spec.starts_at,
        "endsAt": spec.ends_at,
        "refundPolicy": spec.refund_policy.value,
        "rewardExpiryDays": spec.reward_expiry_days,
        "milestones": [m.as_json(spec.type, currency) for m in spec.milestones],
    }
    if spec.period is not None or spec.streak_metric is not None:  # STREAK rules only
        metric = spec.streak_metric.value if spec.streak_metric else None
        minimum = streak_minimum_decimal(metric, spec.streak_minimum, currency)
        snapshot.update(
            period=spec.period.value if spec.period else None,
            streakMetric=metric,
            minimumPerPeriod=None if minimum is None else str(minimum),
        )
    return snapshot


STREAK_FIELDS = ("period", "streakMetric", "minimumPerPeriod")


def _streak_columns(spec: RuleSpec) -> dict[str, Any]:
    return {
        "streak_period": spec.period.value if spec.period else None,
        "streak_metric": spec.streak_metric.value if spec.streak_metric else None,
        "streak_minimum": spec.streak_minimum,
    }


def _spec_of(rule: MilestoneRule, milestones: list[Milestone]) -> RuleSpec:
    return RuleSpec(
        name=rule.name,
        type=RuleType(rule.type),
        starts_at=rule.starts_at,
        ends_at=rule.ends_at,
        refund_policy=RefundPolicy(rule.refund_policy),
        reward_expiry_days=rule.reward_expiry_days,
        milestones=[
            MilestoneSpec(m.threshold, m.reward, m.step_metric, m.description, m.id, m.reward_options,
                          m.choice_expiry_days)
            for m in milestones
        ],
        period=StreakPeriod(rule.streak_period) if rule.streak_period else None,
        streak_metric=StreakMetric(rule.streak_metric) if rule.streak_metric else None,
        streak_minimum=rule.streak_minimum,
    )


def _draft_of(rule: MilestoneRule, milestones: list[Milestone], currency: str) -> RuleDraft:
    rule_type = RuleType(rule.type)
    return RuleDraft(
        name=rule.name,
        type=rule_type,
        starts_at=rule.starts_at,
        ends_at=rule.ends_at,
        refund_policy=RefundPolicy(rule.refund_policy),
        reward_expiry_days=rule.reward_expiry_days,
        milestones=[
            MilestoneDraft(
                threshold=threshold_decimal(rule_type, m.step_metric, m.threshold, currency),
                reward=None if m.reward_options else reward_draft_of(m.reward),
                step_metric=MixedStepMetric(m.step_metric) if m.step_metric else None,
                description=m.description,
                id=m.id,
                reward_options=[reward_draft_of(o) for o in m.reward_options] if m.reward_options else None,
                choice_expiry_days=m.choice_expiry_days,
            )
            for m in milestones
        ],
        period=StreakPeriod(rule.streak_period) if rule.streak_period else None,
        streak_metric=StreakMetric(rule.streak_metric) if rule.streak_metric else None,
        minimum_per_period=streak_minimum_decimal(rule.streak_metric, rule.streak_minimum, currency),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return clock.as_utc(value).isoformat()
    return value
