"""Recording an activity: the engine's main unit of work (docs/concepts.md, "Evaluation").

One transaction per activity, in a fixed number of statements whatever the number of rules:
lock (or create) the customer, store the activity under its idempotency key, load the state
the activity needs, let the core decide (engine/core/evaluation.py), write the decisions.
Subscribers are told after commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.core.activities import ID_FIELD, Activity, ActivityInput, validate
from engine.core.decisions import Decision
from engine.core.errors import DomainError
from engine.core.evaluation import Context, decide
from engine.core.grants import Grant
from engine.services import clock, event_log, telemetry
from engine.store import activities, customers, decisions, driver
from engine.store.driver import Work
from engine.store.state import load
from models import Activity as ActivityRow
from models import IssuedReward as IssuedRewardRow
from models import Shop


@dataclass
class RecordResult:
    activity_id: int
    customer_id: int
    duplicate: bool
    issued_reward_ids: list[int] = field(default_factory=list)
    # The rows as stored, for callers that show them without reading them back; None for a
    # duplicate (read the first one's).
    stored: ActivityRow | None = None
    issued: list[IssuedRewardRow] | None = None


async def record_activity(shop: Shop, data: ActivityInput) -> RecordResult:
    """Record one activity exactly once and evaluate it; raises DomainError and changes
    nothing when the input or the state refuses it.

    Sending the same (kind, id) again returns the first result with `duplicate=True`; the
    same id with a different payload is IDEMPOTENCY_CONFLICT.
    """
    now = clock.now()
    activity = validate(data, shop.currency, now)
    context = Context(now, shop.currency, timezone=shop.timezone)
    dialect = driver.dialect()
    result, decision, last_seq = await driver.run(
        lambda: _record(shop.id, activity, context, dialect), label="record"
    )
    telemetry.activity_recorded(activity.kind.value, duplicate=result.duplicate)
    if decision is not None:
        for grant in decision.grants:
            telemetry.reward_issued(grant.reward.kind.value)
        if decision.events:
            await event_log.published(shop.id, last_seq)
    return result


def _record(
    shop_id: int, activity: Activity, context: Context, dialect: str
) -> Work[tuple[RecordResult, Decision | None, int | None]]:
    seen = customers.Seen(activity.customer_external_id, activity.occurred_at, activity.email)
    customer = (yield from customers.upsert(shop_id, [seen], dialect))[activity.customer_external_id]
    stored = yield from activities.insert(shop_id, [(customer.id, activity)], context.now)
    activity_id = stored.get((activity.kind.value, activity.external_id))
    if activity_id is None:
        return (yield from _duplicate(shop_id, activity)), None, None
    activity = activity.stored_as(activity_id)
    loaded = yield from load(shop_id, [customer], {customer.id: [activity]})
    decision = decide(loaded.customers[customer.id], activity, loaded.rules, context)
    written = yield from decisions.write(shop_id, [decision], context.now, dialect)
    row = ActivityRow(
        id=activity_id, shop_id=shop_id, customer_id=customer.id, kind=activity.kind.value,
        external_id=activity.external_id, payload=activity.payload, payload_hash=activity.payload_hash,
        occurred_at=activity.occurred_at, recorded_at=context.now,
    )
    issued = [_issued_row(shop_id, grant, written.reward_ids[grant]) for grant in decision.grants]
    result = RecordResult(activity_id, customer.id, False, [r.id for r in issued], row, issued)
    return result, decision, written.last_seq


def _issued_row(shop_id: int, grant: Grant, reward_id: int) -> IssuedRewardRow:
    return IssuedRewardRow(
        id=reward_id, shop_id=shop_id, customer_id=grant.customer_id, rule_id=grant.rule_id,
        milestone_id=grant.milestone.id, activity_id=grant.activity_id, grant_key=str(grant.key),
        kind=grant.reward.kind.value, reward=grant.reward.to_json(), status=grant.status.value,
        code=grant.code, expires_at=grant.expires_at, issued_at=grant.issued_at,
        reward_options=[option.to_json() for option in grant.options] or None,
        choice_expires_at=grant.choice_expires_at,
    )


def _duplicate(shop_id: int, activity: Activity) -> Work[RecordResult]:
    key = (activity.kind.value, activity.external_id)
    first = (yield from activities.recorded(shop_id, [key]))[key]
    if first["payload_hash"] != activity.payload_hash:
        raise conflict(activity)
    return RecordResult(first["id"], first["customer_id"], True, first["reward_ids"])


def conflict(activity: Activity) -> DomainError:
    return DomainError.one(
        "IDEMPOTENCY_CONFLICT",
        f"{ID_FIELD[activity.kind]} {activity.external_id!r} was already recorded with other data.",
        (ID_FIELD[activity.kind],),
    )
