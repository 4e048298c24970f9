"""A choice is made once: the conditional update that makes it is the last line of defence,
even for a decision made on a read that another choice has overtaken."""

from __future__ import annotations

import asyncio
import itertools
from decimal import Decimal

import pytest

from engine.core.activities import ActivityInput
from engine.core.drafts import MilestoneDraft, RewardDraft, RuleDraft
from engine.core.enums import ActivityKind, IssuedRewardStatus, Plan, RewardKind, RuleType
from engine.core.errors import DomainError
from engine.core.evaluation import Context, decide_choices
from engine.core.state import CustomerState
from engine.services import clock, rules, shops
from engine.services.choosing import choose_reward
from engine.services.recording import record_activity
from engine.store import decisions, driver
from engine.store import rules as rulebook
from engine.store.driver import Conflict, Fetch
from engine.store.rules import REWARD_WITH_CONTEXT, grant_of
from models import Customer, IssuedReward, LedgerEntry

_names = itertools.count(1)
OPTIONS = [RewardDraft(RewardKind.POINTS, points=300), RewardDraft(RewardKind.STORE_CREDIT, amount=Decimal("5"))]


async def _pending():
    shop = await shops.create_shop(f"Choice {next(_names)}", "USD", Plan.ADVANCED)
    draft = RuleDraft("Choice", RuleType.ORDERS_COUNT, [MilestoneDraft(Decimal(1), None, reward_options=OPTIONS)])
    rule = await rules.create_rule(shop, draft, None)
    await rules.activate_rule(shop, rule.id, False, None)
    recorded = await record_activity(
        shop, ActivityInput(ActivityKind.ORDER_PLACED, "ada", "o-1", amount=Decimal("9.00"), currency="USD")
    )
    [reward_id] = recorded.issued_reward_ids
    return shop, reward_id


def _load(reward_id: int):
    rows = yield Fetch(f"{REWARD_WITH_CONTEXT} WHERE r.id = $1", (reward_id,))
    grant = grant_of(rows[0])
    rule = yield from rulebook.by_id(grant.rule_id)
    return grant, rule, rows[0]["external_id"]


async def test_a_decision_on_a_stale_read_cannot_make_a_choice_already_made():
    shop, reward_id = await _pending()
    stale, rule, external_id = await driver.run(lambda: _load(reward_id))
    assert stale.status == IssuedRewardStatus.PENDING_CHOICE
    await choose_reward(shop, reward_id, 0)
    now = clock.now()
    state = CustomerState(stale.customer_id, external_id)
    decision = decide_choices(state, [(rule, stale, 1, now)], [], Context(now))
    with pytest.raises(Conflict):
        await driver.run(lambda: decisions.write(shop.id, [decision], now, driver.dialect()))
    row = await IssuedReward.get(id=reward_id)
    assert (row.kind, row.chosen_option) == ("POINTS", 0)
    customer = await Customer.get(id=stale.customer_id)
    assert (customer.points_balance, customer.store_credit_balance) == (300, 0)
    assert await LedgerEntry.filter(customer_id=customer.id).count() == 1


async def test_many_choices_at_once_make_one():
    shop, reward_id = await _pending()

    async def attempt(option: int) -> str:
        try:
            await choose_reward(shop, reward_id, option)
        except DomainError as error:
            return error.problems[0].code
        return "CHOSEN"

    outcomes = await asyncio.gather(*(attempt(n % 2) for n in range(8)))
    assert sorted(outcomes) == ["CHOSEN", *["REWARD_ALREADY_CHOSEN"] * 7]
    row = await IssuedReward.get(id=reward_id)
    customer = await Customer.get(id=row.customer_id)
    assert (customer.points_balance, customer.store_credit_balance) == ((300, 0) if row.chosen_option == 0 else (0, 500))
    assert await LedgerEntry.filter(customer_id=customer.id).count() == 1
