"""Rules as evaluation reads them: with each customer's progress and grants on them, in one
statement, and their milestones (ladders) cached in memory by rule version."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from engine.core.enums import (
    IssuedRewardStatus,
    MixedStepMetric,
    RefundPolicy,
    RuleStatus,
    RuleType,
    StreakMetric,
    StreakPeriod,
)
from engine.core.grants import Grant, GrantBook, GrantKey
from engine.core.rewards import Reward
from engine.core.rules import Ladder, Milestone, Period, Rule, StreakSettings
from engine.core.state import Progress
from engine.store.driver import Fetch, Work
from engine.store.sql import from_json, marks, moment, to_datetime

RULE_COLUMNS = (
    "r.id, r.name, r.type, r.status, r.starts_at, r.ends_at, r.refund_policy,"
    " r.reward_expiry_days, r.counting_periods, r.version, r.streak_period, r.streak_metric, r.streak_minimum"
)
LIVE = "('ACTIVE', 'PAUSED')"
# Rules with their ladders, kept by this process for as long as their version is current (every
# change to a rule or its milestones bumps it). Past this many the cache starts afresh.
MAX_CACHED = 5000
_rules: dict[int, Rule] = {}


def milestone_of(row: Any, reward: Any = None) -> Milestone:
    metric = row["step_metric"]
    columns = set(row.keys())
    options = from_json(row["reward_options"]) if "reward_options" in columns and reward is None else None
    return Milestone(
        id=int(row["milestone_id"] if "milestone_id" in columns else row["id"]),
        position=int(row["position"]),
        threshold=int(row["threshold"]),
        reward=Reward.from_json(from_json(reward if reward is not None else row["reward"])),
        step_metric=MixedStepMetric(metric) if metric else None,
        description=row["description"] if "description" in columns else None,
        options=rewards_of(options),
        choice_expiry_days=row["choice_expiry_days"] if "choice_expiry_days" in columns else None,
    )


def rewards_of(stored: Any) -> tuple[Reward, ...]:
    """Stored reward options (a JSON list, or nothing) as rewards."""
    return tuple(Reward.from_json(option) for option in from_json(stored) or ())


def periods_of(stored: Any) -> tuple[Period, ...]:
    return tuple(Period(to_datetime(start), to_datetime(end)) for start, end in from_json(stored) or [])


def stored_periods(periods: Iterable[Period]) -> list[list[str | None]]:
    return [[_iso(p.start), _iso(p.end)] for p in periods]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def rule_of(row: Any, ladder: Ladder) -> Rule:
    return Rule(
        id=int(row["id"]),
        name=row["name"],
        type=RuleType(row["type"]),
        status=RuleStatus(row["status"]),
        ladder=ladder,
        refund_policy=RefundPolicy(row["refund_policy"]),
        reward_expiry_days=row["reward_expiry_days"],
        starts_at=to_datetime(row["starts_at"]),
        ends_at=to_datetime(row["ends_at"]),
        periods=periods_of(row["counting_periods"]),
        version=int(row["version"]),
        streak=streak_of(row),
    )


def streak_of(row: Any) -> StreakSettings | None:
    """A STREAK rule's settings from its row's columns (None for the other types)."""
    if not row["streak_period"] or not row["streak_metric"]:
        return None
    minimum = row["streak_minimum"]
    period, metric = StreakPeriod(row["streak_period"]), StreakMetric(row["streak_metric"])
    return StreakSettings(period, metric, None if minimum is None else int(minimum))


def reward_of(stored: Any) -> Reward:
    """A reward from its JSON column; the same text gives the same (immutable) reward."""
    return _reward(stored) if isinstance(stored, str) else Reward.from_json(from_json(stored))


# A batch loads every grant of its customers, and most share a few reward texts and keys:
# built once each, not once a row.
@lru_cache(maxsize=8192)
def _reward(stored: str) -> Reward:
    return Reward.from_json(from_json(stored))


@lru_cache(maxsize=8192)
def _grant_key(stored: str) -> GrantKey:
    return GrantKey.parse(stored)


@lru_cache(maxsize=8192)
def _grant_milestone(milestone_id: int, position: int, threshold: int, metric: str | None, reward: Reward) -> Milestone:
    return Milestone(
        id=milestone_id, position=position, threshold=threshold, reward=reward,
        step_metric=MixedStepMetric(metric) if metric else None, description=None,
    )


def grant_of(row: Any) -> Grant:
    """A stored grant from a row with the issued reward's columns and its milestone's."""
    reward = reward_of(row["reward"])
    milestone = _grant_milestone(
        int(row["milestone_id"]), int(row["position"]), int(row["threshold"]), row["step_metric"], reward
    )
    choice = "grant_options" in row.keys()
    return Grant(
        customer_id=int(row["customer_id"]),
        rule_id=int(row["rule_id"]),
        milestone=milestone,
        key=_grant_key(row["grant_key"]),
        reward=reward,
        status=IssuedRewardStatus(row["grant_status"]),
        issued_at=moment(row["issued_at"]),
        code=row["code"],
        expires_at=to_datetime(row["expires_at"]),
        activity_id=row["activity_id"],
        id=int(row["grant_id"]),
        options=rewards_of(row["grant_options"]) if choice else (),
        choice_expires_at=to_datetime(row["choice_expires_at"]) if choice else None,
    )


# With the customer's id selected as `customer_id` beside them.
GRANT_COLUMNS = (
    "g.id AS grant_id, g.rule_id, g.milestone_id, g.grant_key,"
    " g.status AS grant_status, g.reward, g.code, g.expires_at, g.issued_at, g.activity_id,"
    " g.reward_options AS grant_options, g.choice_expires_at, m.position, m.threshold, m.step_metric"
)


# An issued reward with what its events tell: milestone, customer, rule (for grant_of).
REWARD_WITH_CONTEXT = (
    "SELECT r.id AS grant_id, r.shop_id, r.customer_id, r.rule_id, r.milestone_id, r.grant_key,"
    " r.status AS grant_status, r.reward, r.code, r.expires_at, r.issued_at, r.activity_id,"
    " r.reward_options AS grant_options, r.choice_expires_at,"
    " m.position, m.threshold, m.step_metric, c.external_id, u.name AS rule_name, u.type AS rule_type"
    " FROM issued_rewards r JOIN milestones m ON m.id = r.milestone_id"
    " JOIN customers c ON c.id = r.customer_id JOIN milestone_rules u ON u.id = r.rule_id"
)


def with_state(
    shop_id: int, customer_ids: Sequence[int], types: Iterable[RuleType]
) -> Work[tuple[list[Rule], dict[int, dict[int, Progress]], dict[int, GrantBook]]]:
    """The shop's live rules of `types` (id order), with each customer's progress and grants
    on them: one statement, then one more for ladders this process has not cached."""
    names = sorted(t.value for t in types)
    if not names or not customer_ids:
        return ([], {c: {} for c in customer_ids}, {c: GrantBook() for c in customer_ids})
    first = 2 + len(names)
    rows = yield Fetch(
        f"SELECT {RULE_COLUMNS}, c.id AS customer_id, p.value, p.step, p.as_of, {GRANT_COLUMNS}"
        " FROM milestone_rules r CROSS JOIN customers c"
        " LEFT JOIN rule_progress p ON p.rule_id = r.id AND p.customer_id = c.id"
        # Found through the (customer_id, rule_id) index, not the unique one, which starts with
        # the rule and would read every grant of the rule for each customer.
        " LEFT JOIN issued_rewards g ON g.customer_id = c.id AND g.rule_id = r.id"
        " LEFT JOIN milestones m ON m.id = g.milestone_id"
        f" WHERE r.shop_id = $1 AND r.status IN {LIVE} AND r.type IN ({marks(len(names), 2)})"
        f" AND c.id IN ({marks(len(customer_ids), first)})"
        " ORDER BY r.id, c.id, g.id",
        (shop_id, *names, *customer_ids),
    )
    rule_rows: dict[int, Any] = {}
    progress: dict[int, dict[int, Progress]] = {c: {} for c in customer_ids}
    grants: dict[int, GrantBook] = {c: GrantBook() for c in customer_ids}
    for row in rows:
        rule_id, customer_id = int(row["id"]), int(row["customer_id"])
        rule_rows.setdefault(rule_id, row)
        if row["value"] is not None:
            progress[customer_id][rule_id] = Progress(
                int(row["value"]), int(row["step"]), to_datetime(row["as_of"])
            )
        if row["grant_id"] is not None:
            grants[customer_id].add(grant_of(row))
    rules = yield from with_ladders(list(rule_rows.values()))
    return rules, progress, grants


def with_ladders(rule_rows: list[Any]) -> Work[list[Rule]]:
    """Rules from their rows: from this process's cache when their version is the one cached,
    else built with their ladders (one statement for all of those)."""
    missing = [int(r["id"]) for r in rule_rows if _cached(int(r["id"]), int(r["version"])) is None]
    if missing:
        rows = yield Fetch(
            "SELECT id, rule_id, position, threshold, step_metric, description, reward, reward_options,"
            " choice_expiry_days FROM milestones"
            f" WHERE retired_at IS NULL AND rule_id IN ({marks(len(missing))}) ORDER BY rule_id, position",
            missing,
        )
        found: dict[int, list[Milestone]] = {rule_id: [] for rule_id in missing}
        for row in rows:
            found[int(row["rule_id"])].append(milestone_of(row))
        if len(_rules) + len(found) > MAX_CACHED:
            _rules.clear()
        for row in rule_rows:
            if int(row["id"]) in found:
                _rules[int(row["id"])] = rule_of(row, Ladder.of(found[int(row["id"])]))
    return [_rules[int(row["id"])] for row in rule_rows]


def _cached(rule_id: int, version: int) -> Rule | None:
    cached = _rules.get(rule_id)
    return cached if cached is not None and cached.version == version else None


def live(shop_id: int | None, types: Iterable[RuleType]) -> Work[list[Rule]]:
    """Live rules of `types`, of one shop or of every shop, in id order."""
    names = sorted(t.value for t in types)
    shop_filter = "" if shop_id is None else f" AND r.shop_id = ${len(names) + 1}"
    rows = yield Fetch(
        f"SELECT {RULE_COLUMNS}, r.shop_id FROM milestone_rules r WHERE r.status IN {LIVE}"
        f" AND r.type IN ({marks(len(names))}){shop_filter} ORDER BY r.id",
        (*names, *([] if shop_id is None else [shop_id])),
    )
    return (yield from with_ladders(list(rows)))


def by_ids(rule_ids: Sequence[int]) -> Work[dict[int, Rule]]:
    """Rules by id, whatever their status."""
    ids = sorted(set(rule_ids))
    if not ids:
        return {}
    rows = yield Fetch(
        f"SELECT {RULE_COLUMNS}, r.shop_id FROM milestone_rules r WHERE r.id IN ({marks(len(ids))})", ids
    )
    return {rule.id: rule for rule in (yield from with_ladders(list(rows)))}


def by_id(rule_id: int) -> Work[Rule | None]:
    rows = yield Fetch(f"SELECT {RULE_COLUMNS}, r.shop_id FROM milestone_rules r WHERE r.id = $1", (rule_id,))
    if not rows:
        return None
    return (yield from with_ladders(list(rows)))[0]
