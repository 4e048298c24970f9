"""The storefront allow-list: with it on, a STOREFRONT key runs only the registered operations
(api/storefront_operations.graphql), whatever their layout, and nothing one field more; other
roles are not concerned. On by default in production."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from graphql import parse, print_ast

from api.app import create_app
from api.settings import STOREFRONT_OPERATIONS, Settings
from engine.core.enums import Role
from engine.services.shops import customer_digest
from models import Shop
from resolvers.allow_list import StorefrontOperations
from resolvers.schema import schema
from tests.support import ShopFactory

WIDGET = next(
    line for line in STOREFRONT_OPERATIONS.read_text().splitlines() if line.startswith("query Widget")
)


@pytest.fixture(scope="module")
async def guarded(database):
    app = create_app(
        Settings(database_url=database, rate_limit_per_second=0, storefront_allow_list=True),
        manage_database=False,
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield ShopFactory(client)


async def widget_variables(shop) -> dict:
    row = await Shop.get(id=shop.id)
    return {"customerExternalId": "cust-9", "customerDigest": customer_digest(row, "cust-9")}


def codes(body: dict) -> list[str]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]


async def test_a_storefront_key_runs_a_registered_operation_in_any_layout(guarded):
    shop = await guarded()
    variables = await widget_variables(shop)
    reformatted = "# the widget\n" + print_ast(parse(WIDGET)).replace("  ", "\t")
    in_a_longer_document = WIDGET + "\nquery Other { shop { name } }"
    for document in (WIDGET, reformatted):
        body = await shop.raw(document, variables, Role.STOREFRONT)
        assert body["data"]["widget"]["customerExternalId"] == "cust-9", body
    response = await shop.http.post(
        "/graphql",
        json={"query": in_a_longer_document, "variables": variables, "operationName": "Widget"},
        headers={"Authorization": f"Bearer {await shop.key(Role.STOREFRONT)}"},
    )
    assert response.json()["data"]["widget"]["pointsBalance"] == 0


@pytest.mark.parametrize(
    "document",
    [
        "{ shop { name currency } }",
        WIDGET.replace("pointsBalance", "pointsBalance storeCreditBalance2: storeCreditBalance"),
        WIDGET.replace("query Widget(", "query Renamed("),
        "{ shop { nope } }",  # not even validated: its errors would teach the schema
    ],
)
async def test_anything_else_from_a_storefront_key_is_refused_before_it_runs(guarded, document):
    shop = await guarded()
    body = await shop.raw(document, await widget_variables(shop), Role.STOREFRONT)
    assert body["data"] is None
    assert codes(body) == ["OPERATION_NOT_REGISTERED"]


async def test_admin_and_partner_keys_are_not_held_to_the_list(guarded):
    shop = await guarded()
    for role in (Role.ADMIN, Role.PARTNER):
        assert (await shop.gql("{ shop { name } }", role=role))["shop"]["name"] == shop.shop.name


async def test_without_the_allow_list_a_storefront_key_reads_its_shop(shops):
    shop = await shops()
    assert (await shop.gql("{ shop { currency } }", role=Role.STOREFRONT)) == {"shop": {"currency": "USD"}}


def test_the_allow_list_is_on_by_default_in_production_and_a_setting_everywhere(monkeypatch):
    monkeypatch.delenv("STOREFRONT_ALLOW_LIST", raising=False)
    monkeypatch.setenv("MILESTONES_ENV", "production")
    assert Settings.from_env().storefront_allow_list is True
    monkeypatch.setenv("STOREFRONT_ALLOW_LIST", "off")
    assert Settings.from_env().storefront_allow_list is False
    monkeypatch.setenv("MILESTONES_ENV", "development")
    monkeypatch.delenv("STOREFRONT_ALLOW_LIST")
    assert Settings.from_env().storefront_allow_list is False
    monkeypatch.setenv("STOREFRONT_ALLOW_LIST", "on")
    assert Settings.from_env().storefront_allow_list is True
    monkeypatch.setenv("STOREFRONT_ALLOW_LIST", "perhaps")
    with pytest.raises(ValueError, match="STOREFRONT_ALLOW_LIST"):
        Settings.from_env()


def test_the_shipped_operations_are_valid_and_one_line_each():
    operations = StorefrontOperations.load(STOREFRONT_OPERATIONS, schema._schema)
    assert print_ast(parse(WIDGET)) in operations.documents
    lines = [line for line in STOREFRONT_OPERATIONS.read_text().splitlines() if line and not line.startswith("#")]
    assert len(lines) == len(operations.documents)


def test_an_operation_the_schema_refuses_stops_the_start(tmp_path: Path):
    listed = tmp_path / "operations.graphql"
    listed.write_text(WIDGET + "\nquery Broken { shop { nope } }\n")
    with pytest.raises(ValueError, match="Broken"):
        create_app(Settings(storefront_operations_file=listed), manage_database=False)
    listed.write_text("{ shop { name } }\n")
    with pytest.raises(ValueError, match="name"):
        create_app(Settings(storefront_operations_file=listed), manage_database=False)


def test_the_cookbooks_widget_operation_is_the_registered_one():
    from tests.doc_examples import blocks_of

    root = STOREFRONT_OPERATIONS.parent.parent
    blocks = blocks_of(root / "docs" / "cookbook.md", root)
    (widget,) = [b.query for b in blocks if b.query.startswith("# as STOREFRONT\nquery Widget")]
    operations = StorefrontOperations.load(STOREFRONT_OPERATIONS, schema._schema)
    assert operations.allows(parse(widget), "Widget")


def test_the_cookbooks_persisted_query_hash_is_its_documents():
    import hashlib
    import re

    cookbook = (STOREFRONT_OPERATIONS.parent.parent / "docs" / "cookbook.md").read_text()
    section = cookbook.split("## Persisted queries", 1)[1].split("\n## ", 1)[0]
    (digest,) = set(re.findall(r"[0-9a-f]{64}", section))
    (document,) = re.findall(r"is the sha256 of\n`([^`]+)`", section)
    assert hashlib.sha256(document.encode()).hexdigest() == digest
    assert f'"query": "{document}"' in section


def test_every_document_the_widget_sends_is_registered():
    import re

    widget_js = (STOREFRONT_OPERATIONS.parent / "static" / "widget" / "widget.js").read_text()
    documents = re.search(r"const DOCUMENTS = Object\.freeze\(\{(.*?)\n  \}\);", widget_js, re.S)[1]
    sent = re.findall(r"(\w+): `(.*?)`", documents, re.S)
    assert sent, "the widget's documents were not found"
    operations = StorefrontOperations.load(STOREFRONT_OPERATIONS, schema._schema)
    for name, document in sent:
        assert operations.allows(parse(document), name), name
