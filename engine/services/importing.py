"""Recording many activities at once: a store's history, a batch from a partner.

A batch is one transaction and the same few statements whatever its size: its customers are
created and locked, its activities stored under their idempotency keys, each customer's state
loaded set-wise, each customer's activities folded through the core in the order they
happened, and every decision written at once. What one activity's refusal changes is nothing:
its row is taken out again and its customer's other activities are folded without it. The
idempotency key is the one `record_activity` uses, so a batch sent twice, or partly recorded
before, changes nothing the second time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from engine.core.activities import Activity, ActivityInput, validate
from engine.core.decisions import Decision
from engine.core.errors import DomainError, Problem
from engine.core.evaluation import Context, fold
from engine.services import clock, event_log, telemetry
from engine.services.recording import conflict
from engine.store import activities, customers, decisions, driver
from engine.store.driver import Execute, Work
from engine.store.sql import marks
from engine.store.state import load
from models import Shop


@dataclass
class ItemResult:
    """What one activity of a batch gave, by its position in the batch."""

    index: int
    activity_id: int | None = None
    customer_id: int | None = None
    duplicate: bool = False
    issued_reward_ids: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def recorded(self) -> bool:
        return not self.problems


@dataclass
class ImportResult:
    items: list[ItemResult]

    @property
    def recorded(self) -> list[ItemResult]:
        return [i for i in self.items if i.recorded and not i.duplicate]

    @property
    def duplicates(self) -> list[ItemResult]:
        return [i for i in self.items if i.recorded and i.duplicate]

    @property
    def rejected(self) -> list[ItemResult]:
        return [i for i in self.items if not i.recorded]


async def import_activities(shop: Shop, items: list[ActivityInput]) -> ImportResult:
    """Record `items` in one transaction, each exactly once; each answers on its own."""
    now = clock.now()
    results = [ItemResult(index) for index in range(len(items))]
    valid: list[tuple[int, Activity]] = []
    for index, data in enumerate(items):
        try:
            valid.append((index, validate(data, shop.currency, now)))
        except DomainError as error:
            results[index].problems = error.problems
    context = Context(now, shop.currency, timezone=shop.timezone)
    dialect = driver.dialect()
    made: list[Decision] = []
    last_seq = None
    if valid:
        made, last_seq = await driver.run(
            lambda: _import(shop.id, valid, results, context, dialect), label="import"
        )
    for result in results:
        if result.recorded:
            telemetry.activity_recorded(items[result.index].kind.value, duplicate=result.duplicate)
    for decision in made:
        for grant in decision.grants:
            telemetry.reward_issued(grant.reward.kind.value)
    if any(d.events for d in made):
        await event_log.published(shop.id, last_seq)
    return ImportResult(results)


def _import(
    shop_id: int,
    valid: list[tuple[int, Activity]],
    results: list[ItemResult],
    context: Context,
    dialect: str,
) -> Work[tuple[list[Decision], int | None]]:
    for result in results:  # a retried transaction starts again from the validation's answers
        if result.recorded:
            result.activity_id, result.customer_id, result.duplicate, result.issued_reward_ids = None, None, False, []
    # What was recorded before is read first, so that a batch sent again (an import run a
    # second time after an interruption) costs this one read and writes nothing.
    before = yield from activities.recorded(shop_id, [(a.kind.value, a.external_id) for _, a in valid])
    fresh = [(i, a) for i, a in valid if (a.kind.value, a.external_id) not in before]
    first_seen: dict[str, customers.Seen] = {}
    for _, a in fresh:
        seen = first_seen.get(a.customer_external_id)
        if seen is None or a.occurred_at < seen.at:
            first_seen[a.customer_external_id] = customers.Seen(a.customer_external_id, a.occurred_at, a.email)
    locked = (yield from customers.upsert(shop_id, list(first_seen.values()), dialect)) if first_seen else {}
    stored = yield from activities.insert(
        shop_id, [(locked[a.customer_external_id].id, a) for _, a in fresh], context.now
    )

    # The first item with a key is the one stored (or recorded before); the others answer as
    # its duplicates, or as conflicts when their data differ.
    first_of: dict[tuple[str, str], tuple[int, Activity]] = {}
    new: dict[int, Activity] = {}  # by index
    earlier: list[tuple[int, Activity]] = []
    for index, a in valid:
        key = (a.kind.value, a.external_id)
        if key in first_of:
            if first_of[key][1].payload_hash != a.payload_hash:
                results[index].problems = conflict(a).problems
            else:
                results[index].duplicate = True
            continue
        first_of[key] = (index, a)
        if key in stored:
            new[index] = a.stored_as(stored[key])
        else:
            earlier.append((index, a))
    # Those stored by a concurrent transaction since the first read are read now.
    missing = [(a.kind.value, a.external_id) for _, a in earlier if (a.kind.value, a.external_id) not in before]
    if missing:
        before.update((yield from activities.recorded(shop_id, missing)))
    for index, a in earlier:
        found = before[(a.kind.value, a.external_id)]
        if found["payload_hash"] != a.payload_hash:
            results[index].problems = conflict(a).problems
            continue
        results[index].duplicate = True
        results[index].activity_id, results[index].customer_id = found["id"], found["customer_id"]
        results[index].issued_reward_ids = list(found["reward_ids"])

    # Each customer's new activities, in the order they happened.
    batch: dict[int, list[Activity]] = defaultdict(list)
    index_of: dict[int, int] = {}
    for index, a in sorted(new.items(), key=lambda item: (item[1].occurred_at, item[0])):
        customer_id = locked[a.customer_external_id].id
        batch[customer_id].append(a)
        index_of[a.stored_id] = index
    by_id = {c.id: c for c in locked.values()}
    loaded = yield from load(shop_id, [by_id[c] for c in batch], batch)
    refused: list[int] = []
    decided: list[tuple[tuple, int, Decision]] = []
    for customer_id, items in batch.items():
        outcomes, _ = fold(loaded.customers[customer_id], items, loaded.rules, context)
        for activity, outcome in zip(items, outcomes, strict=False):
            result = results[index_of[activity.stored_id]]
            if isinstance(outcome, DomainError):
                result.problems = outcome.problems
                refused.append(activity.stored_id)
                continue
            result.activity_id, result.customer_id = activity.id, customer_id
            decided.append(((activity.occurred_at, result.index), result.index, outcome))
    # Written in the order the activities happened, so the events read as recording them one
    # by one would have left them.
    decided.sort(key=lambda item: item[0])
    made = [decision for _, _, decision in decided]
    if refused:
        yield from _take_out(refused, [c.id for c in locked.values()])
    for result in results:  # duplicates within the batch answer what their first one gave
        if result.duplicate and result.activity_id is None:
            key = _key_of(valid, result.index)
            first = results[first_of[key][0]]
            result.activity_id, result.customer_id = first.activity_id, first.customer_id
            result.issued_reward_ids = first.issued_reward_ids
            if first.problems:
                result.duplicate, result.problems = False, first.problems
    written = yield from decisions.write(shop_id, made, context.now, dialect)
    for _, index, decision in decided:
        results[index].issued_reward_ids = [written.reward_ids[g] for g in decision.grants]
    for result in results:  # in-batch duplicates of activities that issued rewards
        if result.duplicate and result.recorded:
            key = _key_of(valid, result.index)
            first = results[first_of[key][0]]
            if first.index != result.index and first.activity_id == result.activity_id:
                result.issued_reward_ids = first.issued_reward_ids
    return made, written.last_seq


def _key_of(valid: list[tuple[int, Activity]], index: int) -> tuple[str, str]:
    a = next(a for i, a in valid if i == index)
    return a.kind.value, a.external_id


def _take_out(activity_ids: list[int], customer_ids: list[int]) -> Work[None]:
    """Remove refused activities again, and customers they alone brought in."""
    yield Execute(f"DELETE FROM activities WHERE id IN ({marks(len(activity_ids))})", activity_ids)
    yield Execute(
        f"DELETE FROM customers WHERE id IN ({marks(len(customer_ids))})"
        " AND NOT EXISTS (SELECT 1 FROM activities a WHERE a.customer_id = customers.id)",
        customer_ids,
    )
