"""Recording what one store webhook reports, once, and keeping its delivery log.

The platform modules decide what a webhook means; this shell records it. Each activity is
recorded by the engine in its own transaction (the engine is exactly-once on the activity's
own id), and then the delivery is written to the log, so an answer of 200 always follows a
commit. A redelivery of a logged webhook id changes nothing; one that comes after a crash
between the two steps finds its activities already recorded, and changes nothing either.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from tortoise.transactions import in_transaction

from engine.core.activities import ActivityInput
from engine.core.enums import ActivityKind, DeliveryOutcome
from engine.core.errors import DomainError
from engine.core.money import from_minor
from engine.services import clock
from engine.services.order_facts import order_facts
from engine.services.recording import record_activity
from engine.store import sql
from models import Shop, StoreConnection, StoreDelivery
from platforms.reading import Ignored, Intent, Mapped, RefundOfOrder

log = logging.getLogger("milestones.ingest")

# The delivery log keeps each connection's latest deliveries; older ones are pruned.
DELIVERIES_KEPT = 1000
MAX_MESSAGE = 2000
# When parts of one delivery end differently, the delivery shows the first of these found.
PRECEDENCE = (
    DeliveryOutcome.REJECTED,
    DeliveryOutcome.RECORDED,
    DeliveryOutcome.DUPLICATE,
    DeliveryOutcome.IGNORED,
)


@dataclass(frozen=True)
class Received:
    """A verified webhook of a connected store."""

    connection: StoreConnection
    topic: str
    webhook_id: str
    # What a redelivery repeats (the webhook id; for WooCommerce with the body's digest).
    dedup_key: str


@dataclass(frozen=True)
class Part:
    outcome: DeliveryOutcome
    message: str
    activity_id: int | None = None


@dataclass
class IngestResult:
    outcome: DeliveryOutcome
    message: str
    delivery_id: int
    activity_ids: list[int] = field(default_factory=list)


async def ingest(received: Received, mapped: Mapped) -> IngestResult:
    """Record what a webhook reports (unless its id was logged before) and log the delivery.
    Business rejections end in the log, not in an exception; anything else propagates and
    leaves no log entry, so the platform retries."""
    connection = received.connection
    first = await StoreDelivery.filter(
        connection_id=connection.id, dedup_key=received.dedup_key
    ).order_by("id").first()
    if first is not None:
        when = first.received_at.strftime("%Y-%m-%d %H:%M:%S")
        parts = [Part(DeliveryOutcome.DUPLICATE, f"Delivered before, at {when} UTC ({first.outcome}): counted once.")]
        activity_ids = list(first.activity_ids)
    elif isinstance(mapped, Ignored):
        parts, activity_ids = [Part(DeliveryOutcome.IGNORED, mapped.reason)], []
    else:
        shop = await Shop.get(id=connection.shop_id)
        parts = [await _record(shop, intent) for intent in mapped]
        activity_ids = [p.activity_id for p in parts if p.activity_id is not None]
    outcome = next(o for o in PRECEDENCE if any(p.outcome == o for p in parts))
    message = " ".join(p.message for p in parts)[:MAX_MESSAGE]
    if outcome == DeliveryOutcome.REJECTED:
        log.warning(
            "store webhook rejected",
            extra={
                "store_connection_id": connection.id,
                "topic": received.topic,
                "webhook_id": received.webhook_id,
                "reason": message,
            },
        )
    delivery = await _log(received, outcome, message, activity_ids)
    return IngestResult(outcome, message, delivery.id, activity_ids)


async def _record(shop: Shop, intent: Intent) -> Part:
    label = _label(intent)
    try:
        data = await _resolve(shop, intent) if isinstance(intent, RefundOfOrder) else intent
        if isinstance(data, Part):
            return data
        result = await record_activity(shop, data)
    except DomainError as error:
        reasons = "; ".join(f"{p.code}: {p.message}" for p in error.problems)
        return Part(DeliveryOutcome.REJECTED, f"{label} refused ({reasons}).")
    if result.duplicate:
        return Part(DeliveryOutcome.DUPLICATE, f"{label} was recorded before: nothing changed.", result.activity_id)
    issued = len(result.issued_reward_ids)
    rewards = f", {issued} reward{'s' if issued != 1 else ''} issued" if issued else ""
    return Part(DeliveryOutcome.RECORDED, f"{label} recorded{rewards}.", result.activity_id)


def _label(intent: Intent) -> str:
    if isinstance(intent, RefundOfOrder):
        return f"Refund {intent.refund_id} of order {intent.order_id}"
    if intent.kind == ActivityKind.SIGNUP:
        return f"Signup of customer {intent.customer_external_id}"
    if intent.kind == ActivityKind.ORDER_REFUNDED:
        return f"Refund {intent.external_id} of order {intent.order_id}"
    return f"Order {intent.external_id}"


async def _resolve(shop: Shop, refund: RefundOfOrder) -> ActivityInput | Part:
    """The refund as the engine records it: its customer, and for a cancellation its amount,
    read from the recorded order."""
    cancellation = refund.amount is None
    facts = await order_facts(shop, refund.order_id)
    if facts is None:
        if cancellation:
            never = f"Order {refund.order_id} was never counted here: nothing to take back."
            return Part(DeliveryOutcome.IGNORED, never)
        raise DomainError.one(
            "NOT_FOUND",
            f"Order {refund.order_id} is not recorded here (a guest's or a test order,"
            " or one placed before the store was connected).",
            ("orderId",),
        )
    if cancellation and facts.left <= 0:
        return Part(DeliveryOutcome.IGNORED, f"Nothing is left of order {refund.order_id} to take back.")
    if not cancellation and refund.currency != shop.currency:
        raise DomainError.one(
            "CURRENCY_MISMATCH",
            f"The refund is in {refund.currency or 'several currencies'}; the shop's currency is {shop.currency}.",
            ("currency",),
        )
    return ActivityInput(
        kind=ActivityKind.ORDER_REFUNDED,
        customer_external_id=facts.customer_external_id,
        external_id=refund.refund_id,
        order_id=refund.order_id,
        amount=from_minor(facts.left, shop.currency) if cancellation else refund.amount,
        occurred_at=refund.occurred_at,
    )


async def _log(
    received: Received, outcome: DeliveryOutcome, message: str, activity_ids: list[int]
) -> StoreDelivery:
    now = clock.now()
    connection = received.connection
    async with in_transaction() as conn:
        delivery = await StoreDelivery.create(
            connection_id=connection.id,
            received_at=now,
            topic=received.topic[:100],
            webhook_id=received.webhook_id[:255],
            dedup_key=received.dedup_key[:255],
            outcome=outcome.value,
            activity_ids=activity_ids,
            message=message,
            using_db=conn,
        )
        await StoreConnection.filter(id=connection.id).using_db(conn).update(last_delivery_at=now)
        await sql.keep_latest(conn, "store_deliveries", "connection_id", connection.id, DELIVERIES_KEPT)
    return delivery
