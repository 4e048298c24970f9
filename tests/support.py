"""Test helpers: a shop with its keys in one line, and GraphQL calls over HTTP."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import httpx

from engine.core.enums import Plan, Role
from engine.services import keys, shops
from models import Shop

_names = itertools.count(1)


class GraphQLErrors(AssertionError):
    def __init__(self, errors: list[dict[str, Any]]):
        super().__init__(errors)
        self.errors = errors


@dataclass
class TestShop:
    http: httpx.AsyncClient
    shop: Shop
    secrets: dict[Role, str] = field(default_factory=dict)

    @property
    def id(self) -> int:
        return self.shop.id

    async def key(self, role: Role = Role.ADMIN) -> str:
        if role not in self.secrets:
            self.secrets[role] = (await keys.create_key(self.shop, role)).secret
        return self.secrets[role]

    async def post(self, query: str, variables: dict | None = None, role: Role = Role.ADMIN):
        return await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {await self.key(role)}"},
        )

    async def raw(self, query: str, variables: dict | None = None, role: Role = Role.ADMIN) -> dict:
        response = await self.post(query, variables, role)
        assert response.status_code == 200, response.text
        return response.json()

    async def gql(self, query: str, variables: dict | None = None, role: Role = Role.ADMIN) -> dict:
        """The `data` of a successful operation; raises GraphQLErrors when there are errors."""
        body = await self.raw(query, variables, role)
        if body.get("errors"):
            raise GraphQLErrors(body["errors"])
        return body["data"]


class ShopFactory:
    def __init__(self, http: httpx.AsyncClient):
        self.http = http

    async def __call__(
        self, plan: Plan = Plan.ADVANCED, currency: str = "USD", name: str | None = None, timezone: str = "UTC"
    ) -> TestShop:
        shop = await shops.create_shop(name or f"Shop {next(_names)}", currency, plan, timezone)
        return TestShop(self.http, shop)
