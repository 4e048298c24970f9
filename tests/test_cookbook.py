"""docs/cookbook.md runs as written: every example, in order, against one shop.

Values that differ from one database to the next are mapped by order of appearance: the
cookbook's `gid://milestones/<Type>/<n>` is the n-th id of that type the responses showed, and
its k-th reward code is the k-th code the responses showed. A placeholder in capitals is a value
of the answer just before, as the page's sentence says: `<RULE_ID>`, `<MILESTONE_ID>` and
`<CUSTOMER_ID>` the first id of that type in it, `<END_CURSOR>` its first `endCursor`;
`<CUSTOMER_DIGEST>` is the digest of the variables' customer with the latest widget secret.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from graphql import OperationType, parse

from engine.core.enums import Role
from engine.services.shops import customer_digest
from resolvers.schema import schema
from tests.event_support import graphql_socket

COOKBOOK = (Path(__file__).resolve().parent.parent / "docs" / "cookbook.md").read_text()
EXAMPLE = re.compile(r"```graphql\n(.*?)```(?:\s*```json\n(.*?)```)?", re.S)
GID = re.compile(r"gid://milestones/(\w+)/(\d+)")
CODE = re.compile(r"MS(?:-[A-Z0-9]{4}){4}")
DIGEST = re.compile(r'(customerExternalId: "([^"]*)", customerDigest: ")[0-9a-f]{64}"')
ROLE = re.compile(r"^# as (ADMIN|PARTNER|STOREFRONT)$", re.M)
PLACEHOLDER = re.compile(r"<([A-Z][A-Z_]*)>")
PLACEHOLDER_TYPES = {"RULE_ID": "MilestoneRule", "MILESTONE_ID": "Milestone", "CUSTOMER_ID": "Customer"}
EXPECT = re.compile(r"^# expect ([A-Z_]+)$", re.M)


def digest(secret: str, external_id: str) -> str:
    return customer_digest(SimpleNamespace(widget_secret=secret), external_id)


def examples() -> list[tuple[str, dict[str, Any]]]:
    return [(q, json.loads(v) if v else {}) for q, v in EXAMPLE.findall(COOKBOOK)]


def root_fields(query: str) -> set[tuple[str, str]]:
    found = set()
    for definition in parse(query).definitions:
        kind = definition.operation.value
        found |= {(kind, s.name.value) for s in definition.selection_set.selections}
    return found


class Ledger:
    """What the responses so far have shown, to put real values in place of the page's."""

    def __init__(self) -> None:
        self.ids: dict[str, list[str]] = {}
        self.codes: list[str] = []
        self.page_codes: list[str] = []
        self.widget_secret = ""
        self.previous: Any = None

    def see(self, value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("widgetSecret"), str):
                self.widget_secret = value["widgetSecret"]
            for item in value.values():
                self.see(item)
        elif isinstance(value, list):
            for item in value:
                self.see(item)
        elif isinstance(value, str):
            for match in GID.finditer(value):
                seen = self.ids.setdefault(match[1], [])
                if match[0] not in seen:
                    seen.append(match[0])
            if CODE.fullmatch(value) and value not in self.codes:
                self.codes.append(value)

    def _id(self, match: re.Match) -> str:
        if len(match[2]) >= 9:
            return match[0]  # an id the page shows as unknown
        seen = self.ids.get(match[1], [])
        assert int(match[2]) <= len(seen), f"{match[0]} is used before any response showed it"
        return seen[int(match[2]) - 1]

    def _code(self, match: re.Match) -> str:
        if match[0] not in self.page_codes:
            self.page_codes.append(match[0])
        return self.codes[self.page_codes.index(match[0])]

    def _digest(self, match: re.Match) -> str:
        return f'{match[1]}{digest(self.widget_secret, match[2])}"'

    def _placeholder(self, match: re.Match) -> str:
        name = match[1]
        if name in PLACEHOLDER_TYPES:
            found = first(self.previous, lambda v: isinstance(v, str) and v.startswith(
                f"gid://milestones/{PLACEHOLDER_TYPES[name]}/"))
        elif name == "END_CURSOR":
            found = first(self.previous, lambda v: isinstance(v, dict) and v.get("endCursor"))
            found = found["endCursor"] if found else None
        else:
            return match[0]  # filled with the variables (the customer digest)
        assert found, f"{match[0]}: the answer before has none"
        return found

    def fill(self, text: str) -> str:
        """The page's ids, codes, customer digests and placeholders replaced by real values."""
        text = DIGEST.sub(self._digest, CODE.sub(self._code, GID.sub(self._id, text)))
        return PLACEHOLDER.sub(self._placeholder, text)

    def fill_variables(self, variables: dict[str, Any]) -> dict[str, Any]:
        filled = json.loads(self.fill(json.dumps(variables)))
        if filled.get("customerDigest") == "<CUSTOMER_DIGEST>":
            filled["customerDigest"] = digest(self.widget_secret, filled["customerExternalId"])
        return filled


def first(value: Any, wanted) -> Any:
    """The first value, depth first, that `wanted` accepts."""
    if wanted(value):
        return value
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for item in items:
        if (found := first(item, wanted)) is not None:
            return found
    return None


def assert_succeeded(query: str, body: dict) -> None:
    expected = EXPECT.search(query)
    assert not body.get("errors"), (query, body["errors"])
    codes = [
        error["code"]
        for payload in body["data"].values()
        if isinstance(payload, dict)
        for error in payload.get("userErrors") or []
    ]
    assert codes == ([expected[1]] * len(codes) if expected else []), (query, codes)
    if expected:
        assert codes, (query, "expected", expected[1])


async def subscribe_once(app, key: str, query: str, variables: dict) -> dict:
    async with graphql_socket(app) as socket:
        assert (await socket.init(key))["type"] == "connection_ack"
        await socket.subscribe(query, variables)
        return {"data": await socket.next()}


def test_every_operation_of_the_schema_has_an_example():
    covered = set().union(*(root_fields(q) for q, _ in examples()))
    declared = set()
    for kind in OperationType:
        root = schema._schema.get_root_type(kind)
        declared |= {(kind.value, name) for name in root.fields} if root else set()
    assert declared - covered == set()


async def test_the_cookbook_runs_as_written(shops, app):
    shop = await shops()
    ledger = Ledger()
    for query, variables in examples():
        role = Role(ROLE.search(query)[1]) if ROLE.search(query) else Role.ADMIN
        query, variables = ledger.fill(query), ledger.fill_variables(variables)
        if parse(query).definitions[0].operation == OperationType.SUBSCRIPTION:
            body = await subscribe_once(app, await shop.key(role), query, variables)
        else:
            body = await shop.raw(query, variables, role)
        assert_succeeded(query, body)
        ledger.see(body["data"])
        ledger.previous = body["data"]
