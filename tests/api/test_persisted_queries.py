"""Automatic persisted queries against a real `milestones serve`, sent the way Apollo Client's
persisted-query link sends them: the sha256 of the printed document first (with GET for
queries), the document too after PersistedQueryNotFound (with POST), the hash alone later."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field

import httpx
import pytest
from graphql import OperationDefinitionNode, OperationType, parse, print_ast

from api import db
from api.persisted_queries import PersistedQueries, PersistedQueryError
from api.settings import STOREFRONT_OPERATIONS
from tests.server_process import create_key, create_shop, graphql, serving

SHOP = "query ShopName { shop { name currency } }"
ROTATE = "mutation Rotate { rotateWidgetSecret { shop { name } } }"
ACCEPT = "application/graphql-response+json,application/json;q=0.9"


@dataclass
class PersistedQueryLink:
    """@apollo/client's createPersistedQueryLink({ sha256, useGETForHashedQueries: true })
    in front of its HttpLink, as far as the wire shows it."""

    client: httpx.AsyncClient
    url: str
    key: str
    sent: list[tuple[str, bool]] = field(default_factory=list)  # (method, with the document)

    async def request(self, document: str, variables: dict | None = None) -> dict:
        parsed = parse(document)
        operation = next(d for d in parsed.definitions if isinstance(d, OperationDefinitionNode))
        printed = print_ast(parsed)  # the link hashes, and HttpLink sends, the printed document
        extensions = {"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(printed.encode()).hexdigest()}}
        name = operation.name.value if operation.name else None
        body = await self._send(operation.operation == OperationType.QUERY, name, variables, extensions)
        codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors") or []}
        messages = {e.get("message") for e in body.get("errors") or []}
        if "PERSISTED_QUERY_NOT_FOUND" in codes or "PersistedQueryNotFound" in messages:
            body = await self._send(False, name, variables, extensions, query=printed)
        return body

    async def _send(self, get: bool, name, variables, extensions, query: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self.key}", "Accept": ACCEPT}
        self.sent.append(("GET" if get else "POST", query is not None))
        if get:
            params = {"operationName": name, "variables": json.dumps(variables or {}), "extensions": json.dumps(extensions)}
            response = await self.client.get(self.url, params=params, headers=headers)
        else:
            payload = {"operationName": name, "variables": variables or {}, "extensions": extensions}
            if query is not None:
                payload["query"] = query
            response = await self.client.post(self.url, json=payload, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def served(database_url, tmp_path):
    """A server with the storefront allow-list on, its shop's ADMIN and STOREFRONT keys."""
    url = database_url if db.is_postgres(database_url) else f"sqlite://{tmp_path}/apq.sqlite3"
    admin = create_shop(url, tmp_path)
    with serving(url, tmp_path, STOREFRONT_ALLOW_LIST="on", SWEEP_INTERVAL_SECONDS="0") as server:
        yield server, admin, lambda shop: create_key(url, tmp_path, shop, "STOREFRONT")


def digest(secret: str, external_id: str) -> str:
    return hmac.new(secret.encode(), external_id.encode(), hashlib.sha256).hexdigest()


def registered_widget() -> str:
    (line,) = [
        line for line in STOREFRONT_OPERATIONS.read_text().splitlines() if line.startswith("query Widget")
    ]
    return line


async def test_an_apollo_persisted_query_link_misses_registers_then_hits_by_hash(served):
    server, key, _ = served
    await server.until_ready()
    async with httpx.AsyncClient(timeout=30) as client:
        link = PersistedQueryLink(client, f"{server.url}/graphql", key)
        first = await link.request(SHOP)
        assert first == {"data": {"shop": {"name": "Served", "currency": "USD"}}}
        assert link.sent == [("GET", False), ("POST", True)]  # miss, then the document
        link.sent.clear()
        assert await link.request(SHOP) == first
        assert link.sent == [("GET", False)]  # the hash alone, with GET: a cacheable URL

        # A mutation is never sent with GET; by hash once it is known, always with POST.
        link.sent.clear()
        rotated = await link.request(ROTATE)
        assert rotated == {"data": {"rotateWidgetSecret": {"shop": {"name": "Served"}}}}
        assert link.sent == [("POST", False), ("POST", True)]
        link.sent.clear()
        assert (await link.request(ROTATE))["data"] == rotated["data"]
        assert link.sent == [("POST", False)]
        printed = print_ast(parse(ROTATE))
        extensions = {"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(printed.encode()).hexdigest()}}
        refused = await client.get(
            f"{server.url}/graphql", params={"extensions": json.dumps(extensions)},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert refused.status_code == 405 and refused.headers["allow"] == "POST"
        assert refused.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_a_storefront_key_runs_the_registered_widget_operation_by_hash_and_nothing_else(served):
    server, admin, storefront_key = served
    await server.until_ready()
    async with httpx.AsyncClient(timeout=30) as client:
        shop = (await graphql(client, server, admin, "{ shop { id widgetSecret } }"))["shop"]
        link = PersistedQueryLink(client, f"{server.url}/graphql", storefront_key(shop["id"]))
        variables = {"customerExternalId": "cust-1", "customerDigest": digest(shop["widgetSecret"], "cust-1")}
        seen = await link.request(registered_widget(), variables)
        assert seen["data"]["widget"]["customerExternalId"] == "cust-1"
        assert link.sent == [("GET", False)]  # registered: known by its hash from the start

        link.sent.clear()
        other = await link.request(SHOP)
        assert other["data"] is None
        assert [e["extensions"]["code"] for e in other["errors"]] == ["OPERATION_NOT_REGISTERED"]
        assert link.sent == [("GET", False), ("POST", True)]
        link.sent.clear()
        again = await link.request(SHOP)  # what a storefront key sent was not kept
        assert link.sent == [("GET", False), ("POST", True)]
        assert [e["extensions"]["code"] for e in again["errors"]] == ["OPERATION_NOT_REGISTERED"]


def test_a_persisted_query_of_another_version_a_malformed_hash_or_the_wrong_hash_is_refused():
    store = PersistedQueries()
    document = "{ shop { name } }"
    digest = hashlib.sha256(document.encode()).hexdigest()
    cases = {
        "PERSISTED_QUERY_NOT_SUPPORTED": ({"persistedQuery": {"version": 2, "sha256Hash": digest}}, None),
        "BAD_REQUEST": ({"persistedQuery": {"version": 1, "sha256Hash": digest.upper()}}, None),
        "PERSISTED_QUERY_NOT_FOUND": ({"persistedQuery": {"version": 1, "sha256Hash": digest}}, None),
    }
    for code, (extensions, query) in cases.items():
        with pytest.raises(PersistedQueryError) as refused:
            store.lookup(query, extensions)
        assert refused.value.code == code
    with pytest.raises(PersistedQueryError) as mismatch:
        store.lookup("{ shop { id } }", {"persistedQuery": {"version": 1, "sha256Hash": digest}})
    assert (mismatch.value.status, mismatch.value.code) == (400, "BAD_REQUEST")
    assert store.lookup(document, None) is None  # not a persisted query at all


def test_the_store_keeps_the_latest_documents_and_the_registered_ones_for_good():
    def digest(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    registered = "query Widget { shop { name } }"
    store = PersistedQueries(known={digest(registered): registered}, capacity=2)
    for n in range(3):
        text = f"{{ a{n}: shop {{ name }} }}"
        found = store.lookup(text, {"persistedQuery": {"version": 1, "sha256Hash": digest(text)}})
        store.keep(found.hash, found.query)
    hash_only = lambda text: store.lookup(None, {"persistedQuery": {"version": 1, "sha256Hash": digest(text)}})  # noqa: E731
    with pytest.raises(PersistedQueryError):
        hash_only("{ a0: shop { name } }")  # the oldest went first
    assert hash_only("{ a2: shop { name } }").query == "{ a2: shop { name } }"
    assert hash_only(registered).query == registered


async def test_a_persisted_query_over_get_is_never_the_graphiql_page(http, shops):
    shop = await shops()
    key = await shop.key()
    text = "{ shop { name } }"
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(text.encode()).hexdigest()}}
    await http.post("/graphql", json={"query": text, "extensions": extensions}, headers={"Authorization": f"Bearer {key}"})
    for accept in ("*/*", "text/html"):
        response = await http.get(
            "/graphql", params={"extensions": json.dumps(extensions)},
            headers={"Authorization": f"Bearer {key}", "Accept": accept},
        )
        assert response.json() == {"data": {"shop": {"name": shop.shop.name}}}
    anonymous = await http.get("/graphql", params={"extensions": json.dumps(extensions)}, headers={"Accept": "text/html"})
    assert anonymous.status_code == 401
