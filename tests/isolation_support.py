"""For the isolation test: a victim shop full of data, a snapshot of everything it owns, the
values that would betray a leak, and GraphQL documents written from the introspected schema."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    Undefined,
    build_client_schema,
    get_introspection_query,
    get_named_type,
    is_leaf_type,
    is_non_null_type,
)
from tortoise import Tortoise

from engine.core.enums import Role
from engine.services import keys
from models import Shop
from tests.builders import billing, fixed, make_rule, order, points
from tests.store_support import connect, shopify_order
from tests.support import TestShop
from wire import ids

VICTIM_CUSTOMER = "victim-cust"
VICTIM_CONTRACT = "victim-contract"
VICTIM_ORDER = "victim-order-1"

# How each table is scoped to a shop: the first of these columns it has.
_SCOPES = (
    ("shop_id", "shop"), ("rule_id", "rule"), ("endpoint_id", "endpoint"), ("connection_id", "connection")
)
# Global id type names of the tables whose ids the API shows.
_GID_TYPES = {
    "ApiKey": "ApiKey",
    "MilestoneRule": "MilestoneRule",
    "Milestone": "Milestone",
    "Customer": "Customer",
    "IssuedReward": "IssuedReward",
    "Activity": "Activity",
    "LedgerEntry": "LedgerEntry",
    "WebhookEndpoint": "WebhookEndpoint",
    "WebhookDelivery": "WebhookDelivery",
    "RewardEvent": "RewardEvent",
    "RuleChange": "MilestoneRuleChange",
    "StoreConnection": "StoreConnection",
    "StoreDelivery": "StoreDelivery",
}
# Columns whose values are the victim's own (short ones aside: they could be anyone's).
_BETRAYING_COLUMNS = ("name", "code", "url", "email", "prefix", "widget_secret", "domain", "secret")


@dataclass
class Victim:
    shop: TestShop
    active_rule: str
    rule_to_activate: str
    rule_to_update: str
    rule_to_pause: str
    rule_to_archive: str
    code: str
    pending_choice: str  # an issued reward waiting for the customer's choice
    endpoint_to_enable: str
    endpoint_to_delete: str
    key_to_revoke: str
    store: str
    store_to_disconnect: str
    every_id: dict[str, str]  # a global id of each type the shop holds, by type name


async def build_victim(shop: TestShop) -> Victim:
    """A shop with rules in every status, a customer with a code reward, points and a
    subscription, events, webhook endpoints and a spare key."""
    active = await make_rule(
        shop, "ORDERS_COUNT", [(1, fixed("5.00")), (2, points(40))], rewardExpiryDays=30
    )
    await make_rule(shop, "INACTIVITY", [(1, points(3))])
    to_pause = await make_rule(shop, "REVIEWS_COUNT", [(1, points(2))])
    to_activate = await make_rule(shop, "POINTS_EARNED", [(10, points(1))], activate=False)
    to_update = await make_rule(shop, "ORDERS_COUNT", [(9, points(1))], activate=False)
    to_archive = await make_rule(shop, "ORDERS_COUNT", [(8, points(1))], activate=False)
    await make_rule(shop, "AMOUNT_SPENT", [{"threshold": "10", "rewardOptions": [points(4), fixed("1.00")]}])
    first = await order(shop, VICTIM_CUSTOMER, "25.00", order_id=VICTIM_ORDER, email="ada@victim.example")
    await order(shop, VICTIM_CUSTOMER, "30.00")
    await billing(shop, VICTIM_CUSTOMER, VICTIM_CONTRACT)
    (code,) = [r["code"] for r in first["issuedRewards"] if r["code"]]
    (pending_choice,) = [r["id"] for r in first["issuedRewards"] if r["status"] == "PENDING_CHOICE"]
    endpoints = []
    for n in (1, 2):
        data = await shop.gql(
            'mutation($url: String!) { createWebhookEndpoint(url: $url) { webhookEndpoint { id } } }',
            {"url": f"https://hooks.victim.example/{n}"},
        )
        endpoints.append(data["createWebhookEndpoint"]["webhookEndpoint"]["id"])
    spare = await keys.create_key(shop.shop, Role.PARTNER, "victim spare")
    store = await connect(shop, domain=f"victim-{shop.id}.myshopify.com", secret="victim-store-secret")
    await store.deliver("orders/create", shopify_order(f"8{shop.id}", "victim-store-customer"))
    to_disconnect = await connect(shop)
    every_id = await one_id_of_each_type(shop.id)
    return Victim(
        shop=shop,
        active_rule=active["id"],
        rule_to_activate=to_activate["id"],
        rule_to_update=to_update["id"],
        rule_to_pause=to_pause["id"],
        rule_to_archive=to_archive["id"],
        code=code,
        pending_choice=pending_choice,
        endpoint_to_enable=endpoints[0],
        endpoint_to_delete=endpoints[1],
        key_to_revoke=ids.encode("ApiKey", spare.key.id),
        store=store.id,
        store_to_disconnect=to_disconnect.id,
        every_id=every_id,
    )


async def one_id_of_each_type(shop_id: int) -> dict[str, str]:
    """A global id of each type the shop has a row of, by GraphQL type name."""
    rows = await snapshot(shop_id)
    found = {"Shop": ids.encode("Shop", shop_id)}
    for table, type_name in _GID_TYPES.items():
        if rows.get(table):
            found[type_name] = ids.encode(type_name, rows[table][0]["id"])
    return found


def _models() -> list[Any]:
    return [m for m in Tortoise.apps["models"].values() if m.__name__ != "Shop"]


async def _owned_ids(shop_id: int) -> dict[str, list[int]]:
    from models import MilestoneRule, StoreConnection, WebhookEndpoint

    return {
        "connection": list(await StoreConnection.filter(shop_id=shop_id).values_list("id", flat=True)),
        "shop": [shop_id],
        "rule": list(await MilestoneRule.filter(shop_id=shop_id).values_list("id", flat=True)),
        "endpoint": list(await WebhookEndpoint.filter(shop_id=shop_id).values_list("id", flat=True)),
    }


async def snapshot(shop_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row the shop owns, in every table, in full."""
    owned = await _owned_ids(shop_id)
    rows = {"Shop": await Shop.filter(id=shop_id).values()}
    for model in _models():
        fields = model._meta.fields_db_projection
        column, scope = next(((c, s) for c, s in _SCOPES if c in fields), (None, None))
        assert column, f"{model.__name__} has no column that says which shop owns it"
        rows[model.__name__] = await model.filter(**{f"{column}__in": owned[scope]}).order_by("id").values()
    return rows


def betraying_values(rows: dict[str, list[dict[str, Any]]]) -> set[str]:
    """What a response must not contain unless it came from the victim's own key: the global
    ids of its rows, its codes, names, URLs, emails, key prefixes and widget secret."""
    found: set[str] = set()
    for table, table_rows in rows.items():
        for row in table_rows:
            if table in _GID_TYPES:
                found.add(ids.encode(_GID_TYPES[table], row["id"]))
            if table == "Shop":
                found.add(ids.encode("Shop", row["id"]))
            for column in _BETRAYING_COLUMNS:
                value = row.get(column)
                if isinstance(value, str) and len(value) >= 6:
                    found.add(value)
    return found


def strings_in(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(strings_in(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(strings_in(v) for v in value)) if value else set()
    return {value} if isinstance(value, str) else set()


async def introspect(shop: TestShop) -> GraphQLSchema:
    """The schema as an ADMIN client sees it, by introspection over HTTP."""
    return build_client_schema(await shop.gql(get_introspection_query()))


def _required(argument: Any) -> bool:
    """Non-null without a default (graphql-core 3.3 keeps an introspected one in `default`)."""
    has_default = argument.default_value is not Undefined or getattr(argument, "default", None) is not None
    return is_non_null_type(argument.type) and not has_default


def selection(type_: Any, depth: int, schema: GraphQLSchema | None = None) -> str:
    """Every field reachable without a required argument, `depth` levels down (through an
    interface, when `schema` is given, each implementation's leaves too)."""
    named = get_named_type(type_)
    if is_leaf_type(named):
        return ""
    if depth == 0:
        return "{ __typename }"
    if isinstance(named, GraphQLUnionType):
        members = " ".join(f"... on {m.name} {selection(m, depth)}" for m in named.types)
        return "{ __typename " + members + " }"
    if isinstance(named, GraphQLInterfaceType) and schema is not None:
        # Each implementation's own fields, one level down: enough to show whose object it
        # is, within the token limit for a dozen types. A name with another type in another
        # implementation gets an alias, or the two would conflict.
        members_of = schema.get_possible_types(named)
        types_of: dict[str, set[str]] = {}
        for member in members_of:
            for name, field in member.fields.items():
                types_of.setdefault(name, set()).add(str(field.type))
        clashing = {name for name, kinds in types_of.items() if len(kinds) > 1}
        members = " ".join(
            f"... on {m.name} {{ {_member_fields(m, clashing)} }}" for m in members_of
        )
        return "{ __typename " + " ".join(named.fields) + " " + members + " }"
    assert isinstance(named, (GraphQLObjectType, GraphQLInterfaceType)), named
    parts = []
    for name, field in named.fields.items():
        if any(_required(a) for a in field.args.values()):
            continue
        parts.append(f"{name} {selection(field.type, depth - 1, schema)}".strip())
    return "{ " + " ".join(parts) + " }"


def _member_fields(type_: GraphQLObjectType, clashing: set[str]) -> str:
    parts = []
    for name, field in type_.fields.items():
        if any(_required(a) for a in field.args.values()):
            continue
        alias = f"{type_.name}_{name}: " if name in clashing else ""
        parts.append(f"{alias}{name} {selection(field.type, 0)}".strip())
    return " ".join(parts)


def document(schema: GraphQLSchema, kind: str, name: str, variables: dict[str, Any], depth: int) -> str:
    """An operation calling the root field `name` with `variables` as its arguments."""
    root = schema.query_type if kind == "query" else schema.mutation_type
    field = root.fields[name]
    missing = [
        a for a, arg in field.args.items()
        if _required(arg) and a not in variables
    ]
    assert not missing, f"{name}: no sample for required argument(s) {missing}"
    unknown = set(variables) - set(field.args)
    assert not unknown, f"{name}: sample has arguments the field does not take: {unknown}"
    declared = ", ".join(f"${a}: {field.args[a].type}" for a in variables)
    passed = ", ".join(f"{a}: ${a}" for a in variables)
    head = f"{kind}({declared})" if declared else kind
    call = f"{name}({passed})" if passed else name
    return f"{head} {{ {call} {selection(field.type, depth, schema)} }}"
