"""Relay global object identification: `node(id:)` and `nodes(ids:)` read any object of the
caller's shop back by its global id.

An id of another shop, of an object gone, or of a type the caller's role may not read answers
null, exactly as an unknown id does: a caller learns nothing about what it may not see. The
roles follow the root fields (docs/concepts.md, "Shops and keys"): ADMIN reads every type; PARTNER what its queries
reach (not keys, webhooks or store connections); STOREFRONT only its shop (the widget needs a
customer digest). `nodes` costs one query per type named (store deliveries one more, for their
activities), whatever the number of ids.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import strawberry
from tortoise.expressions import Subquery

from engine.core.enums import Role
from engine.core.enums import RuleType as RuleTypeEnum
from models import (
    Activity as ActivityRow,
)
from models import (
    ApiKey as KeyRow,
)
from models import (
    Customer as CustomerRow,
)
from models import (
    IssuedReward as RewardRow,
)
from models import (
    LedgerEntry as LedgerRow,
)
from models import (
    Milestone as MilestoneRow,
)
from models import (
    MilestoneRule as RuleRow,
)
from models import (
    RewardEvent as RewardEventRow,
)
from models import (
    RuleChange as ChangeRow,
)
from models import (
    Shop as ShopRow,
)
from models import (
    StoreConnection as StoreConnectionRow,
)
from models import (
    StoreDelivery as StoreDeliveryRow,
)
from models import (
    WebhookDelivery as DeliveryRow,
)
from models import (
    WebhookEndpoint as EndpointRow,
)
from resolvers.context import Info
from resolvers.customers.rewards import IssuedReward
from resolvers.customers.types import Activity, Customer, LedgerEntry
from resolvers.error_codes import bad_input
from resolvers.events.types import RewardEvent
from resolvers.keys import ApiKey
from resolvers.node import Node
from resolvers.permissions import IsAnyRole
from resolvers.rules.types import Milestone, MilestoneRule, MilestoneRuleChange
from resolvers.shop import Shop
from resolvers.stores.types import StoreConnection, StoreDelivery
from resolvers.webhooks.types import WebhookDelivery, WebhookEndpoint
from wire import ids

MAX_IDS = 100
ALL = frozenset(Role)
ADMIN_PARTNER = frozenset({Role.ADMIN, Role.PARTNER})
ADMIN = frozenset({Role.ADMIN})

# The objects of one type among `pks`, of the shop; each fetch is one query.
Fetch = Callable[[ShopRow, list[int]], Awaitable[Sequence[tuple[int, Node]]]]


@dataclass(frozen=True)
class NodeType:
    roles: frozenset[Role]
    fetch: Fetch


def _plain(model: Any, to_node: Callable[[Any], Node], **scope: Any) -> Fetch:
    """Rows of `model` with a `shop_id` column."""

    async def fetch(shop: ShopRow, pks: list[int]) -> list[tuple[int, Node]]:
        rows = await model.filter(id__in=pks, shop_id=shop.id, **scope)
        return [(row.id, to_node(row)) for row in rows]

    return fetch


async def _shops(shop: ShopRow, pks: list[int]) -> list[tuple[int, Node]]:
    return [(shop.id, Shop(row=shop))] if shop.id in pks else []


async def _milestones(shop: ShopRow, pks: list[int]) -> list[tuple[int, Node]]:
    rows = await MilestoneRow.filter(id__in=pks, rule__shop_id=shop.id).select_related("rule")
    return [(r.id, Milestone(row=r, rule_type=RuleTypeEnum(r.rule.type))) for r in rows]


async def _rule_changes(shop: ShopRow, pks: list[int]) -> list[tuple[int, Node]]:
    rows = await ChangeRow.filter(id__in=pks, rule__shop_id=shop.id)
    return [(r.id, MilestoneRuleChange(row=r)) for r in rows]


async def _deliveries(shop: ShopRow, pks: list[int]) -> list[tuple[int, Node]]:
    endpoints = Subquery(EndpointRow.filter(shop_id=shop.id).values("id"))
    rows = await DeliveryRow.filter(id__in=pks, endpoint_id__in=endpoints)
    return [(r.id, WebhookDelivery(row=r)) for r in rows]


async def _store_deliveries(shop: ShopRow, pks: list[int]) -> list[tuple[int, Node]]:
    connections = Subquery(StoreConnectionRow.filter(shop_id=shop.id).values("id"))
    rows = await StoreDeliveryRow.filter(id__in=pks, connection_id__in=connections)
    wanted = {i for row in rows for i in row.activity_ids}
    loaded = {a.id: a for a in await ActivityRow.filter(id__in=wanted)} if wanted else {}
    return [(r.id, StoreDelivery(row=r, loaded=loaded)) for r in rows]


async def _events(shop: ShopRow, pks: list[int]) -> list[tuple[int, Node]]:
    rows = await RewardEventRow.filter(id__in=pks, shop_id=shop.id)
    return [(r.id, RewardEvent(row=r, currency=shop.currency)) for r in rows]


# Keyed by the type name in the global id, which is the GraphQL type's name.
NODE_TYPES: dict[str, NodeType] = {
    "Shop": NodeType(ALL, _shops),
    "MilestoneRule": NodeType(ADMIN_PARTNER, _plain(RuleRow, lambda r: MilestoneRule(row=r))),
    "Milestone": NodeType(ADMIN_PARTNER, _milestones),
    "MilestoneRuleChange": NodeType(ADMIN_PARTNER, _rule_changes),
    "Customer": NodeType(ADMIN_PARTNER, _plain(CustomerRow, lambda r: Customer(row=r))),
    "Activity": NodeType(ADMIN_PARTNER, _plain(ActivityRow, lambda r: Activity(row=r))),
    "LedgerEntry": NodeType(ADMIN_PARTNER, _plain(LedgerRow, lambda r: LedgerEntry(row=r))),
    "IssuedReward": NodeType(ADMIN_PARTNER, _plain(RewardRow, lambda r: IssuedReward(row=r))),
    "RewardEvent": NodeType(ADMIN_PARTNER, _events),
    "ApiKey": NodeType(ADMIN, _plain(KeyRow, lambda r: ApiKey(row=r))),
    "WebhookEndpoint": NodeType(
        ADMIN, _plain(EndpointRow, lambda r: WebhookEndpoint(row=r), deleted_at=None)
    ),
    "WebhookDelivery": NodeType(ADMIN, _deliveries),
    "StoreConnection": NodeType(
        ADMIN, _plain(StoreConnectionRow, lambda r: StoreConnection(row=r))
    ),
    "StoreDelivery": NodeType(ADMIN, _store_deliveries),
}


def _parsed(values: Sequence[str], argument: str) -> list[tuple[str, int]]:
    parsed = []
    for value in values:
        found = ids.parse(value)
        if found is None:
            raise bad_input(f"`{argument}` holds {value[:80]!r}, which is not a global id.")
        parsed.append(found)
    return parsed


async def load_nodes(info: Info, values: Sequence[str], argument: str) -> list[Node | None]:
    """The objects the global ids name, in order; None for each the caller may not see."""
    wanted = _parsed(values, argument)
    shop, role = info.context.shop, info.context.role
    by_type: dict[str, set[int]] = defaultdict(set)
    for type_name, pk in wanted:
        kind = NODE_TYPES.get(type_name)
        if kind is not None and role in kind.roles:
            by_type[type_name].add(pk)
    found: dict[tuple[str, int], Node] = {}
    for type_name, pks in by_type.items():
        for pk, node in await NODE_TYPES[type_name].fetch(shop, sorted(pks)):
            found[(type_name, pk)] = node
    return [found.get(key) for key in wanted]


@strawberry.type
class NodeQuery:
    @strawberry.field(
        permission_classes=[IsAnyRole],
        description="The object with this global id, if it is one of the caller's shop that "
        "the caller's role may read; null otherwise (as for an unknown id).",
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        (found,) = await load_nodes(info, [id], "id")
        return found

    @strawberry.field(
        permission_classes=[IsAnyRole],
        description=f"The objects with these global ids (at most {MAX_IDS}), in the same "
        "order; null for each the caller may not see.",
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        if len(ids) > MAX_IDS:
            raise bad_input(f"`ids` holds {len(ids)} ids; at most {MAX_IDS} are read at once.")
        return await load_nodes(info, ids, "ids")
