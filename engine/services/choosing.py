"""Choosing the reward of a customer's-choice milestone (docs/concepts.md, "Rewards").

One unit of work, like recording an activity: lock the customer, load the pending choice and
what its reward may move, let the core decide (`evaluation.decide_choices`), write. The sweep
settles choices past their deadline with the same unit of work, a page at a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from engine.core.choices import is_due
from engine.core.decisions import Decision
from engine.core.enums import RewardKind, RuleType
from engine.core.errors import not_found
from engine.core.evaluation import Context, decide_choices
from engine.core.grants import Grant, GrantBook
from engine.core.rules import POINTS_FEED, Rule
from engine.core.state import CustomerState
from engine.services import clock, event_log, telemetry
from engine.store import activities, customers, decisions, driver
from engine.store import rules as rulebook
from engine.store.driver import Fetch, Work
from engine.store.rules import REWARD_WITH_CONTEXT, grant_of
from engine.store.sql import marks
from models import Shop


async def choose_reward(shop: Shop, reward_id: int, option: int, customer_external_id: str | None = None) -> int:
    """Choose option `option` (from 0) of the shop's pending choice `reward_id`: the chosen
    reward is issued exactly once. With `customer_external_id`, the reward must be that
    customer's. Returns the reward's id.

    Errors: NOT_FOUND (no such reward of this shop, or of this customer), INVALID (`option`
    out of range), REWARD_ALREADY_CHOSEN, REWARD_REVOKED, NOT_A_CHOICE_REWARD.
    """
    context = Context(clock.now(), shop.currency)
    dialect = driver.dialect()
    made, last_seq = await driver.run(
        lambda: _choose(shop.id, reward_id, option, customer_external_id, context, dialect), label="choose"
    )
    _told(made)
    await event_log.published(shop.id, last_seq)
    return reward_id


def _choose(
    shop_id: int, reward_id: int, option: int, external_id: str | None, context: Context, dialect: str
) -> Work[tuple[list[Decision], int | None]]:
    rows = yield Fetch(
        "SELECT r.customer_id, c.external_id FROM issued_rewards r JOIN customers c ON c.id = r.customer_id"
        " WHERE r.id = $1 AND r.shop_id = $2",
        (reward_id, shop_id),
    )
    if not rows or (external_id is not None and rows[0]["external_id"] != external_id):
        raise not_found("Reward", ("issuedRewardId",))
    picks = {int(rows[0]["customer_id"]): [(reward_id, option)]}
    return (yield from settle(shop_id, picks, context, dialect))


def settle(
    shop_id: int,
    picks: Mapping[int, Sequence[tuple[int, int]]],
    context: Context,
    dialect: str,
    as_of: datetime | None = None,
) -> Work[tuple[list[Decision], int | None]]:
    """Make the choices `picks` names (customer id → (reward id, option) pairs) in one
    transaction: each chosen now, or with `as_of` (the sweep) at its deadline, and only those
    still due then. Returns the decisions and the last event seq (SQLite)."""
    locked = yield from customers.lock(list(picks), for_update=dialect != "sqlite")
    ids = sorted(reward_id for items in picks.values() for reward_id, _ in items)
    rows = yield Fetch(f"{REWARD_WITH_CONTEXT} WHERE r.id IN ({marks(len(ids))}) ORDER BY r.id", ids)
    grants = {int(row["grant_id"]): grant_of(row) for row in rows}
    if as_of is not None:
        grants = {i: g for i, g in grants.items() if is_due(g, as_of)}
    rules = yield from rulebook.by_ids([g.rule_id for g in grants.values()])
    others, progress, books = yield from _points_state(shop_id, list(locked), grants, picks)
    history = {}
    if any(rule.type == RuleType.MIXED for rule in others):
        history = yield from activities.history(list(locked), set())
    made: list[Decision] = []
    for customer_id, items in picks.items():
        customer = locked[customer_id]
        chosen = [
            (rules[grants[reward_id].rule_id], grants[reward_id], option,
             context.now if as_of is None else grants[reward_id].choice_expires_at or as_of)
            for reward_id, option in items
            if reward_id in grants
        ]
        if not chosen:
            continue
        state = CustomerState(
            customer.id, customer.external_id, progress.get(customer_id, {}),
            books.get(customer_id, GrantBook()), customer.last_activity_at, history=history.get(customer_id),
        )
        made.append(decide_choices(state, chosen, others, context))
    if not made:
        return [], None
    written = yield from decisions.write(shop_id, made, context.now, dialect)
    return made, written.last_seq


def _points_state(
    shop_id: int, customer_ids: list[int], grants: Mapping[int, Grant], picks: Mapping[int, Sequence[tuple[int, int]]]
) -> Work[tuple[list[Rule], dict, dict]]:
    """The rules chosen points may move, with the customers' progress and grants on them:
    read only when some chosen option gives points."""
    gives_points = any(
        0 <= option < len(grants[reward_id].options)
        and grants[reward_id].options[option].kind == RewardKind.POINTS
        for items in picks.values()
        for reward_id, option in items
        if reward_id in grants
    )
    if not gives_points:
        return [], {}, {}
    return (yield from rulebook.with_state(shop_id, customer_ids, POINTS_FEED))


def _told(made: Sequence[Decision]) -> None:
    for decision in made:
        for choice in decision.choices:
            telemetry.reward_issued(choice.grant.reward.kind.value)
