"""Who may do what, proven over every operation of the schema.

The operations come from introspection, so a new one cannot be forgotten: it fails
`test_every_operation_has_a_row_in_the_access_table` until ACCESS says who may call it, and
the run below until SAMPLES can call it. Then, for every query and mutation:
- each role without the right, with a key of the victim shop, gets FORBIDDEN and changes nothing;
- each role with the right, with a key of another shop and the victim's ids, sees nothing of the
  victim (none of its ids, codes, names, URLs, emails, key prefixes, secret) and changes nothing;
- the victim's own ADMIN key, with the same arguments, succeeds, so the arguments are real.
"Changes nothing" is every row the victim owns, in every table, compared before and after.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from httpx_ws import WebSocketDisconnect

from engine.core.enums import Role
from engine.services.shops import customer_digest
from models import Shop
from tests.event_support import graphql_socket, subscriber
from tests.isolation_support import (
    VICTIM_CONTRACT,
    VICTIM_CUSTOMER,
    VICTIM_ORDER,
    Victim,
    betraying_values,
    build_victim,
    document,
    introspect,
    snapshot,
    strings_in,
)
from tests.reporting import report
from wire.ids import encode_cursor

ALL = frozenset(Role)
ADMIN_PARTNER = frozenset({Role.ADMIN, Role.PARTNER})
ADMIN = frozenset({Role.ADMIN})

# Who may call each root field (docs/concepts.md, "Shops and keys"). Queries and mutations run in this order.
ACCESS: dict[tuple[str, str], frozenset[Role]] = {
    ("query", "shop"): ALL,
    ("query", "milestoneRules"): ADMIN_PARTNER,
    ("query", "milestoneRule"): ADMIN_PARTNER,
    ("query", "previewMilestoneRule"): ADMIN,
    ("query", "customers"): ADMIN_PARTNER,
    ("query", "customer"): ADMIN_PARTNER,
    ("query", "issuedRewards"): ADMIN_PARTNER,
    ("query", "rewardEvents"): ADMIN_PARTNER,
    ("query", "webhookEndpoints"): ADMIN,
    ("query", "apiKeys"): ADMIN,
    ("query", "widget"): ALL,
    ("query", "node"): ALL,
    ("query", "nodes"): ALL,
    ("query", "storeConnection"): ADMIN,
    ("mutation", "createMilestoneRule"): ADMIN,
    ("mutation", "updateMilestoneRule"): ADMIN,
    ("mutation", "activateMilestoneRule"): ADMIN,
    ("mutation", "pauseMilestoneRule"): ADMIN,
    ("mutation", "archiveMilestoneRule"): ADMIN,
    ("mutation", "recordOrder"): ADMIN_PARTNER,
    ("mutation", "recordRefund"): ADMIN_PARTNER,
    ("mutation", "recordReview"): ADMIN_PARTNER,
    ("mutation", "recordReferral"): ADMIN_PARTNER,
    ("mutation", "recordSubscriptionBilling"): ADMIN_PARTNER,
    ("mutation", "recordSubscriptionCancellation"): ADMIN_PARTNER,
    ("mutation", "recordPointsEarned"): ADMIN_PARTNER,
    ("mutation", "recordSignup"): ADMIN_PARTNER,
    ("mutation", "recordActivities"): ADMIN_PARTNER,
    ("mutation", "redeemReward"): ADMIN_PARTNER,
    ("mutation", "chooseReward"): ALL,
    ("mutation", "runInactivitySweep"): ADMIN,
    ("mutation", "createWebhookEndpoint"): ADMIN,
    ("mutation", "enableWebhookEndpoint"): ADMIN,
    ("mutation", "deleteWebhookEndpoint"): ADMIN,
    ("mutation", "createApiKey"): ADMIN,
    ("mutation", "revokeApiKey"): ADMIN,
    ("mutation", "rotateWidgetSecret"): ADMIN,
    ("mutation", "connectStore"): ADMIN,
    ("mutation", "disconnectStore"): ADMIN,
    ("subscription", "rewardEvents"): ADMIN_PARTNER,
}

# What a key of another shop gets when it names the victim's things.
ABSENT = "absent"  # the field is null
NOT_FOUND = "not found"  # the payload's userErrors say NOT_FOUND
OWN = "own"  # the operation runs on the caller's own shop
ALL_NULL = "all null"  # the field is a list of nulls


@dataclass(frozen=True)
class Sample:
    args: Callable[[Victim], Any]  # the arguments, naming the victim's things
    from_another_shop: str = OWN


async def _widget_args(v: Victim) -> dict:
    shop = await Shop.get(id=v.shop.id)
    return {"customerExternalId": VICTIM_CUSTOMER, "customerDigest": customer_digest(shop, VICTIM_CUSTOMER)}


def _rule(**extra: Any) -> dict:
    milestones = [{"threshold": "3", "reward": {"points": {"points": 7}}}]
    return {"name": "Attacker program", "type": "ORDERS_COUNT", "milestones": milestones, **extra}


def _activity(**fields: Any) -> Callable[[Victim], dict]:
    return lambda v: {"input": {"customerExternalId": VICTIM_CUSTOMER, **fields}}


SAMPLES: dict[str, Sample] = {
    "shop": Sample(lambda v: {}),
    "milestoneRules": Sample(lambda v: {"first": 100}),
    "milestoneRule": Sample(lambda v: {"id": v.active_rule}, ABSENT),
    "previewMilestoneRule": Sample(lambda v: {"id": v.active_rule}, NOT_FOUND),
    "customers": Sample(lambda v: {"first": 100}),
    "customer": Sample(lambda v: {"externalId": VICTIM_CUSTOMER}, ABSENT),
    "issuedRewards": Sample(lambda v: {"first": 100}),
    "rewardEvents": Sample(lambda v: {"first": 100}),
    "webhookEndpoints": Sample(lambda v: {"first": 100}),
    "apiKeys": Sample(lambda v: {"first": 100, "includeRevoked": True}),
    "widget": Sample(_widget_args, ABSENT),
    "node": Sample(lambda v: {"id": v.active_rule}, ABSENT),
    "nodes": Sample(lambda v: {"ids": list(v.every_id.values())}, ALL_NULL),
    "createMilestoneRule": Sample(lambda v: {"input": _rule()}),
    "updateMilestoneRule": Sample(
        lambda v: {"id": v.rule_to_update, "input": {"name": "Renamed"}}, NOT_FOUND
    ),
    "activateMilestoneRule": Sample(
        lambda v: {"id": v.rule_to_activate, "countPastActivity": True}, NOT_FOUND
    ),
    "pauseMilestoneRule": Sample(lambda v: {"id": v.rule_to_pause}, NOT_FOUND),
    "archiveMilestoneRule": Sample(lambda v: {"id": v.rule_to_archive}, NOT_FOUND),
    "recordOrder": Sample(
        _activity(orderId="iso-order", total="12.00", currency="USD")
    ),
    "recordRefund": Sample(
        _activity(refundId="iso-refund", orderId=VICTIM_ORDER, amount="1.00"), NOT_FOUND
    ),
    "recordReview": Sample(_activity(reviewId="iso-review")),
    "recordReferral": Sample(_activity(referralId="iso-referral")),
    "recordSubscriptionBilling": Sample(
        _activity(billingId="iso-billing", contractId=VICTIM_CONTRACT)
    ),
    "recordSubscriptionCancellation": Sample(_activity(contractId=VICTIM_CONTRACT)),
    "recordPointsEarned": Sample(_activity(entryId="iso-points", points=15, source="quiz")),
    "recordSignup": Sample(_activity()),
    "recordActivities": Sample(lambda v: {"inputs": [
        {"order": {"customerExternalId": VICTIM_CUSTOMER, "orderId": "iso-batch-order", "total": "3.00",
                   "currency": "USD"}},
        {"review": {"customerExternalId": VICTIM_CUSTOMER, "reviewId": "iso-batch-review"}},
    ]}),
    "redeemReward": Sample(lambda v: {"code": v.code}, NOT_FOUND),
    "chooseReward": Sample(lambda v: {"issuedRewardId": v.pending_choice, "option": 0}, NOT_FOUND),
    "runInactivitySweep": Sample(lambda v: {"asOf": "2026-01-01T00:00:00+00:00", "dryRun": False}),
    "createWebhookEndpoint": Sample(lambda v: {"url": "https://hooks.attacker.example/in"}),
    "enableWebhookEndpoint": Sample(lambda v: {"id": v.endpoint_to_enable}, NOT_FOUND),
    "deleteWebhookEndpoint": Sample(lambda v: {"id": v.endpoint_to_delete}, NOT_FOUND),
    "createApiKey": Sample(lambda v: {"role": "ADMIN", "name": "Escalated"}),
    "revokeApiKey": Sample(lambda v: {"id": v.key_to_revoke}, NOT_FOUND),
    "rotateWidgetSecret": Sample(lambda v: {}),
    "storeConnection": Sample(lambda v: {"id": v.store}, ABSENT),
    # Another shop naming the victim's store is refused; the victim itself may reconnect it.
    "connectStore": Sample(lambda v: {"input": {
        "platform": "SHOPIFY", "domain": f"victim-{v.shop.id}.myshopify.com", "secret": "a-new-secret"}}),
    "disconnectStore": Sample(lambda v: {"id": v.store_to_disconnect}, NOT_FOUND),
}

# Fields below the root with rights of their own: who may read them.
NESTED_ACCESS: dict[str, frozenset[Role]] = {
    "widgetSecret": ADMIN,  # Shop.widgetSecret
    "history": ADMIN_PARTNER,  # MilestoneRule.history: who changed the rule
    "stats": ADMIN_PARTNER,  # MilestoneRule.stats: figures across the shop
    "storeConnections": ADMIN,  # Shop.storeConnections
}

# Levels of fields selected under each root field: deep enough to reach rewards and rules
# through progress, within the depth and token limits.
DEPTH = 3


def test_every_operation_has_a_row_in_the_access_table():
    from resolvers.schema import schema

    declared = {
        (kind, name)
        for kind, root in (
            ("query", schema._schema.query_type),
            ("mutation", schema._schema.mutation_type),
            ("subscription", schema._schema.subscription_type),
        )
        if root is not None
        for name in root.fields
    }
    assert declared - set(ACCESS) == set(), "operations nobody said who may call"
    assert set(ACCESS) - declared == set(), "rows for operations that no longer exist"


def _codes(body: dict) -> set[str]:
    return {(e.get("extensions") or {}).get("code") for e in body.get("errors") or []}


def _user_error_codes(body: dict, name: str) -> set[str]:
    payload = (body.get("data") or {}).get(name) or {}
    return {e["code"] for e in payload.get("userErrors") or []} if isinstance(payload, dict) else set()


async def test_no_role_and_no_other_shop_reaches_what_it_may_not(shops, pytestconfig):
    victim = await build_victim(await shops())
    intruder = await shops()
    schema = await introspect(victim.shop)
    for role in Role:  # made now: a key made on first use would change the snapshot
        await victim.shop.key(role)
        await intruder.key(role)
    operations = [(k, n) for (k, n) in ACCESS if k in ("query", "mutation")]
    assert {n for _, n in operations} <= set(SAMPLES), "operations without a sample"
    assert {n for _, n in operations} == set(schema.query_type.fields) | set(
        schema.mutation_type.fields
    ), "the introspected schema and the access table disagree"

    problems: list[str] = []
    tried = {"forbidden": 0, "other shop": 0, "own admin": 0}
    for kind, name in operations:
        sample = SAMPLES[name]
        args = sample.args(victim)
        args = await args if inspect.isawaitable(args) else args
        query = document(schema, kind, name, args, DEPTH)
        allowed = ACCESS[(kind, name)]

        for role in sorted(set(Role) - allowed):
            before = await snapshot(victim.shop.id)
            body = await victim.shop.raw(query, args, role=role)
            tried["forbidden"] += 1
            value = (body.get("data") or {}).get(name)
            if _codes(body) != {"FORBIDDEN"} or value is not None:
                problems.append(f"{name} as {role.value}: not FORBIDDEN: {body}")
            if await snapshot(victim.shop.id) != before:
                problems.append(f"{name} as {role.value}: changed the shop while forbidden")

        for role in sorted(allowed):
            before = await snapshot(victim.shop.id)
            secrets = betraying_values(before)
            body = await intruder.raw(query, args, role=role)
            tried["other shop"] += 1
            leaked = strings_in(body) & secrets
            if leaked:
                problems.append(f"{name} as another shop's {role.value}: leaked {leaked}")
            if await snapshot(victim.shop.id) != before:
                problems.append(f"{name} as another shop's {role.value}: changed the victim")
            if "INTERNAL_SERVER_ERROR" in _codes(body):
                problems.append(f"{name} as another shop's {role.value}: {body}")
            if sample.from_another_shop == ABSENT and (body.get("data") or {}).get(name) is not None:
                problems.append(f"{name} as another shop's {role.value}: not null: {body}")
            if sample.from_another_shop == ALL_NULL and any((body.get("data") or {}).get(name) or [None]):
                problems.append(f"{name} as another shop's {role.value}: not all null: {body}")
            if sample.from_another_shop == NOT_FOUND and "NOT_FOUND" not in _user_error_codes(body, name):
                problems.append(f"{name} as another shop's {role.value}: not NOT_FOUND: {body}")

        # The same call by the victim's own admin works: the arguments above were real.
        before = await snapshot(victim.shop.id)
        body = await victim.shop.raw(query, args, role=Role.ADMIN)
        tried["own admin"] += 1
        if body.get("errors") or _user_error_codes(body, name):
            problems.append(f"{name} as the victim's ADMIN failed: {body}")
        elif kind == "query" and not strings_in(body) & betraying_values(before):
            problems.append(f"{name} as the victim's ADMIN showed none of its data: {body}")

    report(
        pytestconfig,
        f"isolation: {len(operations)} operations × {len(Role)} roles = "
        f"{len(operations) * len(Role)} pairs ({sum(len(ACCESS[o]) for o in operations)} "
        f"allowed, {sum(len(Role) - len(ACCESS[o]) for o in operations)} forbidden): "
        f"{tried['forbidden']} forbidden-role calls, {tried['other shop']} calls from another "
        f"shop, {tried['own admin']} own-admin controls, {sum(tried.values())} calls in all"
    )
    assert problems == [], "\n".join(problems)


async def test_event_stream_refuses_storefront_keys_and_shows_no_other_shops_events(shops, app):
    victim = await build_victim(await shops())
    intruder = await shops()
    assert await victim.shop.gql("{ rewardEvents { totalCount } }") != {
        "rewardEvents": {"totalCount": 0}
    }
    async with graphql_socket(app) as socket:
        with pytest.raises(WebSocketDisconnect) as refused:
            await socket.init(await victim.shop.key(Role.STOREFRONT))
        assert refused.value.code == 4403
    for role in sorted(ACCESS[("subscription", "rewardEvents")]):
        key = await intruder.key(role)
        async with subscriber(app, key, {"after": encode_cursor(0)}) as socket:
            assert await socket.nothing_within(0.3), role


async def test_fields_below_the_root_follow_their_own_rights(shops, pytestconfig):
    """Every query, as every role that may call it, selecting every field three levels down:
    the only errors are FORBIDDEN at the fields of NESTED_ACCESS the role may not read."""
    victim = await build_victim(await shops())
    schema = await introspect(victim.shop)
    forbidden_seen: set[tuple[str, Role]] = set()
    problems = []
    calls = 0
    for (kind, name), allowed in ACCESS.items():
        if kind != "query":
            continue
        args = SAMPLES[name].args(victim)
        args = await args if inspect.isawaitable(args) else args
        query = document(schema, kind, name, args, DEPTH)
        for role in sorted(allowed):
            body = await victim.shop.raw(query, args, role=role)
            calls += 1
            for error in body.get("errors") or []:
                field = next(p for p in reversed(error.get("path") or [""]) if isinstance(p, str))
                code = (error.get("extensions") or {}).get("code")
                if code == "FORBIDDEN" and role not in NESTED_ACCESS.get(field, frozenset(Role)):
                    forbidden_seen.add((field, role))
                else:
                    problems.append(f"{name} as {role.value}: {error}")
    expected = {(f, r) for f, roles in NESTED_ACCESS.items() for r in set(Role) - roles}
    assert problems == [], "\n".join(problems)
    assert forbidden_seen == expected, "a nested field's right was never put to the test"
    report(
        pytestconfig,
        f"nested rights: {calls} calls, {len(expected)} field × role refusals seen",
    )


# What `node` and `nodes` show each role: the types its root fields reach (resolvers/nodes.py).
NODE_TYPES_BY_ROLE = {
    Role.ADMIN: None,  # every type
    Role.PARTNER: {
        "Shop", "MilestoneRule", "Milestone", "MilestoneRuleChange", "Customer", "Activity",
        "LedgerEntry", "IssuedReward", "RewardEvent",
    },
    Role.STOREFRONT: {"Shop"},
}


async def test_node_and_nodes_answer_each_role_only_its_types_and_another_shop_nothing(shops):
    victim = await build_victim(await shops())
    intruder = await shops()
    every = victim.every_id
    assert {"ApiKey", "WebhookEndpoint", "IssuedReward", "RewardEvent", "LedgerEntry"} <= set(every)
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"
    one = "query($id: ID!) { node(id: $id) { __typename id } }"
    for role, readable in NODE_TYPES_BY_ROLE.items():
        seen = (await victim.shop.gql(query, {"ids": list(every.values())}, role))["nodes"]
        expected = [
            {"__typename": t, "id": gid} if readable is None or t in readable else None
            for t, gid in every.items()
        ]
        assert seen == expected, role
        for type_name, gid in every.items():
            alone = (await victim.shop.gql(one, {"id": gid}, role))["node"]
            assert alone == (expected[list(every).index(type_name)]), (role, type_name)
            assert (await intruder.gql(one, {"id": gid}, role))["node"] is None, (role, type_name)
        assert (await intruder.gql(query, {"ids": list(every.values())}, role))["nodes"] == [None] * len(every)


async def test_nodes_read_at_most_100_ids_and_a_malformed_id_is_bad_user_input(shops):
    shop = await shops()
    mine = (await shop.gql("{ shop { id } }"))["shop"]["id"]
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    assert (await shop.gql(query, {"ids": [mine] * 100}))["nodes"] == [{"id": mine}] * 100
    for ids in ([mine] * 101, [mine, "not-an-id"]):
        body = await shop.raw(query, {"ids": ids})
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    unknown = ["gid://milestones/MilestoneRule/999999999", "gid://milestones/NoSuchType/1"]
    assert (await shop.gql(query, {"ids": unknown}))["nodes"] == [None, None]


async def test_nodes_cost_a_fixed_number_of_queries_per_type_named(shops):
    from tests.query_counter import count_queries

    victim = await build_victim(await shops())
    every = victim.every_id
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    with count_queries() as shop_only:  # the shop comes with the key: no query of its own
        await victim.shop.gql(query, {"ids": [every["Shop"]]})
    with count_queries() as all_types:
        await victim.shop.gql(query, {"ids": list(every.values()) * 6})
    # Store deliveries bring the activities they recorded: one more statement for all of them.
    assert len(all_types) - len(shop_only) == len(every) - 1 + ("StoreDelivery" in every)


def test_every_type_with_a_global_id_is_a_node_and_node_reads_each():
    from graphql import GraphQLObjectType, get_nullable_type

    from resolvers.nodes import NODE_TYPES
    from resolvers.schema import schema

    with_ids = {
        name for name, type_ in schema._schema.type_map.items()
        if isinstance(type_, GraphQLObjectType) and not name.startswith("__")
        and "id" in type_.fields and str(get_nullable_type(type_.fields["id"].type)) == "ID"
    }
    nodes = {t.name for t in schema._schema.get_possible_types(schema._schema.type_map["Node"])}
    assert with_ids == nodes == set(NODE_TYPES)
