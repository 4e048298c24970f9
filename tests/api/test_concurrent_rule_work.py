"""Two server processes on one PostgreSQL, rule work racing live traffic:

- a rule activated with countPastActivity while both processes record orders for the same
  customers ends with exactly the progress a recomputation from the activity log gives, and
  no milestone granted twice;
- sweeps expiring thousands of rewards while refunds revoke them and orders issue more end
  with exact balances, each reward expired or revoked (never both), and no conflict reaching
  a client: conflicts are retried, and counted.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from prometheus_client.parser import text_string_to_metric_families

from api import db
from engine.core.activities import ActivityInput
from engine.core.enums import ActivityKind
from engine.services.importing import import_activities
from engine.store import sql
from models import Customer, IssuedReward, LedgerEntry, RewardEvent, RuleProgress, Shop
from tests.server_process import ServerProcess, create_shop, fresh_connections, serving

RULE = """mutation($input: MilestoneRuleInput!) { createMilestoneRule(input: $input) {
  rule { id } userErrors { code } } }"""
ACTIVATE = """mutation($id: ID!, $past: Boolean) { activateMilestoneRule(id: $id, countPastActivity: $past) {
  userErrors { code message } } }"""
ORDER = """mutation($input: RecordOrderInput!) { recordOrder(input: $input) { duplicate userErrors { code } } }"""
REFUND = """mutation($input: RecordRefundInput!) { recordRefund(input: $input) { userErrors { code message } } }"""
SWEEP = "mutation { runInactivitySweep { expired userErrors { code } } }"
RETRIES = "milestones_transaction_retries_total"


@pytest.fixture(autouse=True)
def postgres_only(database_url):
    if not db.is_postgres(database_url):
        pytest.skip("several server processes need PostgreSQL")


client = fresh_connections()


def batched(items, size: int):
    items = list(items)
    return [items[n : n + size] for n in range(0, len(items), size)]


async def call(server: ServerProcess, key: str, query: str, variables: dict | None = None) -> dict:
    """An operation's data; any GraphQL error (a conflict reaching the client) fails the test."""
    response = await client.post(
        f"{server.url}/graphql", json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {key}"},
    )
    body = response.json()
    assert response.status_code == 200 and not body.get("errors"), body
    return body["data"]


async def retries(*servers: ServerProcess) -> int:
    total = 0
    for server in servers:
        for family in text_string_to_metric_families((await client.get(f"{server.url}/metrics")).text):
            total += sum(int(s.value) for s in family.samples if s.name == RETRIES)
    return total


async def _shop(database_url, tmp_path) -> tuple[str, Shop]:
    key = create_shop(database_url, tmp_path)
    return key, await Shop.filter(name="Served").order_by("-id").first()


async def test_activation_with_past_activity_racing_orders_from_two_processes_counts_each_order_once(
    database_url, tmp_path
):
    key, shop = await _shop(database_url, tmp_path)
    customers = [f"c{n}" for n in range(8)]
    past = datetime.now(UTC) - timedelta(days=30)
    history = [
        ActivityInput(ActivityKind.ORDER_PLACED, c, f"past-{c}-{n}", past + timedelta(minutes=n),
                      amount=Decimal("10.00"), currency="USD")
        for c in customers for n in range(5)
    ]
    assert not (await import_activities(shop, history)).rejected
    milestones = [{"threshold": str(t), "reward": {"points": {"points": t}}} for t in range(1, 41)]
    with serving(database_url, tmp_path, "a", SWEEP_INTERVAL_SECONDS="0") as a, \
            serving(database_url, tmp_path, "b", SWEEP_INTERVAL_SECONDS="0") as b:
        await asyncio.gather(a.until_ready(), b.until_ready())
        created = await call(a, key, RULE, {"input": {"name": "Ladder", "type": "ORDERS_COUNT", "milestones": milestones}})
        rule_id = created["createMilestoneRule"]["rule"]["id"]
        sent = [f"live-{n}" for n in range(160)]
        servers = itertools.cycle((a, b))

        async def orders():
            for batch in batched(sent, 8):
                await asyncio.gather(*(
                    call(next(servers), key, ORDER, {"input": {
                        "customerExternalId": customers[int(o.split("-")[1]) % 8], "orderId": o,
                        "total": "10.00", "currency": "USD"}})
                    for o in batch
                ))

        async def activate():
            await asyncio.sleep(0.3)
            answer = await call(b, key, ACTIVATE, {"id": rule_id, "past": True})
            assert answer["activateMilestoneRule"]["userErrors"] == []

        await asyncio.gather(orders(), activate())
        retried = await retries(a, b)

    ids = {c.id: c.external_id for c in await Customer.filter(shop_id=shop.id)}
    rule_pk = int(rule_id.rsplit("/", 1)[1])
    progress = {ids[p.customer_id]: p.value for p in await RuleProgress.filter(rule_id=rule_pk)}
    expected = Counter(customers[n % 8] for n in range(160)) + Counter({c: 5 for c in customers})
    assert progress == dict(expected)  # every order counted once, before or after activation
    grants = Counter((ids[g.customer_id], g.milestone_id) for g in await IssuedReward.filter(rule_id=rule_pk))
    assert set(grants.values()) == {1}
    assert Counter(c for c, _ in grants) == expected  # milestones 1..n each granted once
    print(f"\nactivation race: {len(history)} past + {len(sent)} live orders, {sum(progress.values())} counted,"
          f" {sum(grants.values())} grants, {retried} retries")


async def test_sweeps_expiring_thousands_of_rewards_while_refunds_revoke_them_end_exact(database_url, tmp_path):
    key, shop = await _shop(database_url, tmp_path)
    customers = [f"s{n}" for n in range(1200)]
    with serving(database_url, tmp_path, "a", SWEEP_INTERVAL_SECONDS="0") as a, \
            serving(database_url, tmp_path, "b", SWEEP_INTERVAL_SECONDS="0") as b:
        await asyncio.gather(a.until_ready(), b.until_ready())
        milestones = [{"threshold": "10", "reward": {"fixedDiscount": {"amount": "5.00"}}},
                      {"threshold": "20", "reward": {"fixedDiscount": {"amount": "8.00"}}},
                      {"threshold": "40", "reward": {"storeCredit": {"amount": "3.00"}}}]
        rule = (await call(a, key, RULE, {"input": {
            "name": "Spend", "type": "AMOUNT_SPENT", "refundPolicy": "REVOKE_UNREDEEMED",
            "rewardExpiryDays": 1, "milestones": milestones}}))["createMilestoneRule"]["rule"]
        await call(a, key, ACTIVATE, {"id": rule["id"]})
        orders = [ActivityInput(ActivityKind.ORDER_PLACED, c, f"o-{c}", amount=Decimal("25.00"), currency="USD")
                  for c in customers]
        for chunk in batched(orders, 400):
            assert not (await import_activities(shop, list(chunk))).rejected
        # Their codes are due now (the sweep expires what is past expiresAt).
        await sql.execute(sql.current(), "UPDATE issued_rewards SET expires_at = $1 WHERE shop_id = $2",
                          datetime.now(UTC) - timedelta(minutes=1), shop.id)
        due = await IssuedReward.filter(shop_id=shop.id, status="ISSUED").count()
        assert due == 2 * len(customers)
        servers = itertools.cycle((a, b))
        refunded = random.Random(7).sample(customers, 500)

        async def sweeps():
            expired = 0
            for _ in range(6):
                answers = await asyncio.gather(call(a, key, SWEEP), call(b, key, SWEEP))
                expired += sum(x["runInactivitySweep"]["expired"] for x in answers)
            return expired

        async def refunds():
            for batch in batched(refunded, 10):
                answers = await asyncio.gather(*(
                    call(next(servers), key, REFUND, {"input": {
                        "customerExternalId": c, "refundId": f"r-{c}", "orderId": f"o-{c}", "amount": "25.00"}})
                    for c in batch
                ))
                assert all(x["recordRefund"]["userErrors"] == [] for x in answers)

        async def more_orders():
            for batch in batched(range(200), 10):
                await asyncio.gather(*(
                    call(next(servers), key, ORDER, {"input": {
                        "customerExternalId": f"new-{n}", "orderId": f"n-{n}", "total": "45.00", "currency": "USD"}})
                    for n in batch
                ))

        swept, _, _ = await asyncio.gather(sweeps(), refunds(), more_orders())
        retried = await retries(a, b)

    rewards = await IssuedReward.filter(shop_id=shop.id)
    statuses = Counter(r.status for r in rewards)
    assert statuses["EXPIRED"] == swept
    assert statuses["EXPIRED"] + statuses["REVOKED"] == due  # each due code ends one way or the other
    for customer in await Customer.filter(shop_id=shop.id):
        ledger = await LedgerEntry.filter(customer_id=customer.id)
        assert customer.store_credit_balance == sum(e.delta for e in ledger if e.account == "STORE_CREDIT")
    terminal = Counter(
        e.issued_reward_id for e in await RewardEvent.filter(shop_id=shop.id, type__in=["REWARD_EXPIRED", "REWARD_REVOKED"])
    )
    assert set(terminal.values()) == {1}  # never expired and revoked both
    seqs = sorted(e.seq for e in await RewardEvent.filter(shop_id=shop.id))
    assert seqs == list(range(1, len(seqs) + 1))  # the log has no gap
    print(f"\nsweep race: {due} codes due, {swept} expired, {statuses['REVOKED']} revoked,"
          f" 500 refunds and 200 orders meanwhile, {retried} retries")
