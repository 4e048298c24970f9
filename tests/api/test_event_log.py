"""The reward event log: written with the change it reports, read by polling in commit order."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from engine.core.enums import RewardEventType, Role
from models import RewardEvent
from tests.builders import make_rule, order, points
from tests.event_support import append_event, append_in, publish
from wire.ids import decode_cursor, encode_cursor
from wire.reward_event import render

EVENTS = """
query Events($first: Int, $after: String, $types: [RewardEventType!], $customerId: ID) {
  rewardEvents(first: $first, after: $after, types: $types, customerId: $customerId) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id cursor type occurredAt customerId customerExternalId ruleId milestoneId issuedRewardId
      data
    }
  }
}
"""


async def test_polling_pages_through_events_in_commit_order_and_resumes_after_a_cursor(shops):
    shop = await shops()
    seqs = [await append_event(shop.id, n=n) for n in range(5)]
    page = (await shop.gql(EVENTS, {"first": 2}, role=Role.PARTNER))["rewardEvents"]
    assert [n["cursor"] for n in page["nodes"]] == [encode_cursor(s) for s in seqs[:2]]
    assert page["pageInfo"] == {"hasNextPage": True, "endCursor": encode_cursor(seqs[1])}
    assert page["totalCount"] == 5
    rest = await shop.gql(EVENTS, {"first": 10, "after": page["pageInfo"]["endCursor"]})
    assert [n["cursor"] for n in rest["rewardEvents"]["nodes"]] == [
        encode_cursor(s) for s in seqs[2:]
    ]
    assert rest["rewardEvents"]["pageInfo"]["hasNextPage"] is False


async def test_polling_with_the_last_end_cursor_delivers_each_event_exactly_once(shops):
    """Poll, poll again with nothing new, record, poll: an empty page's `endCursor` is the
    `after` it was given, so an idle poll never sends the reader back to the start."""
    shop = await shops()
    await make_rule(shop, "ORDERS_COUNT", [(1, points(10)), (2, points(20))])
    await order(shop, "cust-1")
    delivered: list[str] = []

    async def poll(after: str | None) -> dict:
        page = (await shop.gql(EVENTS, {"after": after}, role=Role.PARTNER))["rewardEvents"]
        delivered.extend(node["id"] for node in page["nodes"])
        return page["pageInfo"]

    first = await poll(None)
    idle = await poll(first["endCursor"])
    assert idle == first == {"hasNextPage": False, "endCursor": encode_cursor(1)}
    await order(shop, "cust-1")
    after_new = await poll(idle["endCursor"])
    assert after_new == {"hasNextPage": False, "endCursor": encode_cursor(2)}
    assert await poll(after_new["endCursor"]) == after_new
    assert len(delivered) == len(set(delivered)) == 2


async def test_an_event_renders_global_ids_and_money_as_decimal_strings(shops):
    shop = await shops()
    seq = await append_event(shop.id, customer_id=5, n=1)
    [node] = (await shop.gql(EVENTS, {}))["rewardEvents"]["nodes"]
    event_id = node["id"]
    assert event_id.startswith("gid://milestones/RewardEvent/")
    assert node["cursor"] == encode_cursor(seq)
    assert node["type"] == "REWARD_ISSUED"
    assert node["occurredAt"] == "2026-01-02T03:04:05+00:00"
    assert node["customerId"] == "gid://milestones/Customer/5"
    assert node["customerExternalId"] == "cust-5"
    assert node["ruleId"] == "gid://milestones/MilestoneRule/7"
    assert node["milestoneId"] == "gid://milestones/Milestone/71"
    assert node["issuedRewardId"] == "gid://milestones/IssuedReward/901"
    assert node["data"] == {
        "id": event_id,
        "cursor": encode_cursor(seq),
        "type": "REWARD_ISSUED",
        "occurredAt": "2026-01-02T03:04:05+00:00",
        "customer": {"id": "gid://milestones/Customer/5", "externalId": "cust-5"},
        "rule": {
            "id": "gid://milestones/MilestoneRule/7",
            "name": "Loyal customer",
            "type": "AMOUNT_SPENT",
        },
        "milestone": {"id": "gid://milestones/Milestone/71", "position": 1, "threshold": "100.00"},
        "reward": {
            "id": "gid://milestones/IssuedReward/901",
            "kind": "FIXED_DISCOUNT",
            "status": "ISSUED",
            "code": "CODE-1",
            "expiresAt": None,
            "issuedAt": "2026-01-02T03:04:05+00:00",
            "definition": {
                "kind": "FIXED_DISCOUNT",
                "currency": "USD",
                "amount": "12.50",
                "minimumSubtotal": None,
            },
        },
    }


async def test_polling_filters_by_type_and_customer(shops):
    shop = await shops()
    await append_event(shop.id, type=RewardEventType.REWARD_ISSUED, customer_id=5)
    await append_event(shop.id, type=RewardEventType.REWARD_EXPIRED, customer_id=6)
    wanted = await append_event(shop.id, type=RewardEventType.REWARD_EXPIRED, customer_id=5)
    data = await shop.gql(
        EVENTS, {"types": ["REWARD_EXPIRED"], "customerId": "gid://milestones/Customer/5"}
    )
    assert [n["cursor"] for n in data["rewardEvents"]["nodes"]] == [encode_cursor(wanted)]


async def test_events_of_another_shop_are_never_listed(shops):
    shop, other = await shops(), await shops()
    await append_event(other.id)
    data = await shop.gql(EVENTS, {})
    assert data["rewardEvents"]["nodes"] == []


async def test_a_storefront_key_may_not_read_events(shops):
    shop = await shops()
    body = await shop.raw(EVENTS, {}, role=Role.STOREFRONT)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_malformed_cursor_or_customer_id_is_bad_user_input(shops):
    shop = await shops()
    for variables in ({"after": "not-a-cursor"}, {"customerId": "gid://milestones/Shop/1"}):
        body = await shop.raw(EVENTS, variables)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_concurrent_writers_never_make_an_event_visible_behind_a_read_cursor(shops):
    """Readers poll while writers hold their transactions open for random times: every event
    a reader ever sees lies beyond everything it saw before, so resuming never skips one."""
    shop = await shops()

    async def writer(n: int) -> None:
        async with in_transaction() as conn:
            seq = await append_in(conn, shop.id, n=n)
            await asyncio.sleep(random.random() / 50)
        await publish(shop.id, seq)

    async def reader(seen: list[str], done: asyncio.Event) -> None:
        cursor = 0
        while True:
            finished = done.is_set()
            page = await shop.gql(EVENTS, {"first": 100, "after": encode_cursor(cursor)})
            for node in page["rewardEvents"]["nodes"]:
                seen.append(node["issuedRewardId"])
                cursor = decode_cursor(node["cursor"])
            if finished and not page["rewardEvents"]["nodes"]:
                return

    done = asyncio.Event()
    seen: list[str] = []
    reading = asyncio.create_task(reader(seen, done))
    await asyncio.gather(*(writer(n) for n in range(60)))
    done.set()
    await reading
    assert sorted(seen) == sorted(f"gid://milestones/IssuedReward/{900 + n}" for n in range(60))
    assert len(seen) == 60


def test_a_mixed_step_threshold_is_shown_in_its_metrics_unit():
    def milestone(stored: dict) -> dict:
        body = {"rule": {"id": 7, "name": "Journey", "type": "MIXED"}, "milestone": stored}
        row = RewardEvent(
            id=1,
            shop_id=1,
            seq=1,
            type="REWARD_ISSUED",
            customer_id=1,
            rule_id=7,
            milestone_id=70,
            issued_reward_id=900,
            payload=body,
            created_at=datetime.now(UTC),
        )
        return render(row, "USD")["milestone"]

    spent = milestone({"position": 1, "threshold": 2500, "stepMetric": "AMOUNT_SPENT"})
    assert spent["threshold"] == "25.00"
    orders = milestone({"position": 0, "threshold": 3, "stepMetric": "ORDERS"})
    assert orders["threshold"] == "3"
    assert "threshold" not in milestone({"position": 0, "threshold": 2500})
