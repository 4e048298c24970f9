"""Loading what evaluation needs, set-wise: the rules a set of activities may move, with
each customer's progress and grants on them, and only where needed the refunded orders, the
customers' contracts, the history a late activity replays and the facts a STREAK rule folds."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from engine.core.activities import Activity
from engine.core.contracts import SUBSCRIPTION_KINDS
from engine.core.enums import ActivityKind, RuleType
from engine.core.evaluation import needs_history
from engine.core.rules import STREAK_KINDS, Rule, rule_types_for
from engine.core.state import CustomerState
from engine.store import activities as log
from engine.store import rules as rulebook
from engine.store.customers import Locked
from engine.store.driver import Work

STREAK_KIND_NAMES = tuple(sorted(kind.value for kind in STREAK_KINDS))


@dataclass
class Loaded:
    rules: list[Rule]
    customers: dict[int, CustomerState]  # by customer id


def load(
    shop_id: int, locked: Sequence[Locked], batch: Mapping[int, Sequence[Activity]]
) -> Work[Loaded]:
    """The state to evaluate `batch` (each locked customer's stored activities, by customer
    id) in a fixed number of statements, whatever the number of customers or rules."""
    types: set[RuleType] = set()
    for items in batch.values():
        for activity in items:
            types |= rule_types_for(activity.kind)
    ids = [c.id for c in locked]
    rules, progress, grants = yield from rulebook.with_state(shop_id, ids, types)
    states = {
        c.id: CustomerState(c.id, c.external_id, progress[c.id], grants[c.id], c.last_activity_at)
        for c in locked
    }
    in_batch = {a.id for items in batch.values() for a in items if a.id is not None}
    everything = [a for items in batch.values() for a in items]

    refunded = [a.order_id for a in everything if a.kind == ActivityKind.ORDER_REFUNDED and a.order_id]
    if refunded:
        orders = yield from log.orders(shop_id, refunded, in_batch)
        for customer_id, items in batch.items():
            states[customer_id].orders.update(
                {a.order_id: orders[a.order_id] for a in items if a.order_id in orders}
            )

    subscribers = [cid for cid, items in batch.items() if any(a.kind in SUBSCRIPTION_KINDS for a in items)]
    if subscribers:
        contracts = {a.contract_id for a in everything if a.kind in SUBSCRIPTION_KINDS and a.contract_id}
        found = yield from log.subscriptions(shop_id, subscribers, sorted(contracts), in_batch)
        for customer_id in subscribers:
            state = states[customer_id]
            mine = {a.contract_id for a in batch[customer_id]}
            state.subscriptions = [
                a for a in found if a.customer_external_id == state.external_id or a.contract_id in mine
            ]

    if any(r.type == RuleType.STREAK for r in rules):
        streaky = [cid for cid, items in batch.items() if any(a.kind in STREAK_KINDS for a in items)]
        if streaky:
            # A streak is refolded from the customer's orders, refunds and reviews: one statement.
            found_facts = yield from log.history(streaky, in_batch, kinds=STREAK_KIND_NAMES, credits=False)
            for customer_id in streaky:
                states[customer_id].streak_facts = [f for f in found_facts[customer_id] if isinstance(f, Activity)]

    late = [cid for cid, items in batch.items() if needs_history(states[cid], items, rules)]
    if late:
        history = yield from log.history(late, in_batch)
        for customer_id in late:
            states[customer_id].history = history[customer_id]
    return Loaded(rules, states)


def by_customer(pairs: Sequence[tuple[int, Activity]]) -> dict[int, list[Activity]]:
    grouped: dict[int, list[Activity]] = defaultdict(list)
    for customer_id, activity in pairs:
        grouped[customer_id].append(activity)
    return grouped
