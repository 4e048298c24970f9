"""Every GraphQL error carries a standard `extensions.code`, as Apollo Server names them: a
caller's mistake is told from a server failure without reading the message."""

from __future__ import annotations

import pytest

from engine.core.enums import Role

CASES = {
    "a syntax error": ("{ shop { ", {}, "GRAPHQL_PARSE_FAILED"),
    "an unknown field": ("{ shop { nope } }", {}, "GRAPHQL_VALIDATION_FAILED"),
    "an unknown argument": ("{ shop(id: 1) { name } }", {}, "GRAPHQL_VALIDATION_FAILED"),
    "a literal of the wrong type": ('{ customers(first: "ten") { totalCount } }', {}, "BAD_USER_INPUT"),
    "a variable of the wrong type": (
        "query($n: Int) { customers(first: $n) { totalCount } }", {"n": "ten"}, "BAD_USER_INPUT"
    ),
    "a required variable left out": (
        "query($id: ID!) { milestoneRule(id: $id) { name } }", {}, "BAD_USER_INPUT"
    ),
    "a first above 100": ("{ customers(first: 101) { totalCount } }", {}, "BAD_USER_INPUT"),
    "a bad cursor": ('{ customers(after: "nope") { totalCount } }', {}, "BAD_USER_INPUT"),
    "a bad id": ('{ customer(id: "nope") { id } }', {}, "BAD_USER_INPUT"),
    "an id of another type": (
        '{ milestoneRule(id: "gid://milestones/Customer/1") { id } }', {}, "BAD_USER_INPUT"
    ),
    "both of id and externalId": ('{ customer(id: "x", externalId: "y") { id } }', {}, "BAD_USER_INPUT"),
    "a time without an offset": (
        'query($t: DateTime) { issuedRewards(issuedAfter: $t) { totalCount } }',
        {"t": "2026-01-01T00:00:00"},
        "BAD_USER_INPUT",
    ),
    "text no database can store": ('{ customer(externalId: "a\\u0000") { id } }', {}, "BAD_USER_INPUT"),
}


@pytest.mark.parametrize("query, variables, code", CASES.values(), ids=CASES.keys())
async def test_a_callers_mistake_carries_its_standard_code(shops, query, variables, code):
    shop = await shops()
    body = await shop.raw(query, variables)
    assert body["errors"], body
    assert {(e.get("extensions") or {}).get("code") for e in body["errors"]} == {code}, body


async def test_a_role_without_the_right_is_still_forbidden_and_a_user_error_is_still_a_payload(shops):
    shop = await shops()
    forbidden = await shop.raw("{ apiKeys { totalCount } }", role=Role.PARTNER)
    assert [e["extensions"]["code"] for e in forbidden["errors"]] == ["FORBIDDEN"]
    payload = await shop.gql(
        'mutation { createApiKey(role: PARTNER, name: "%s") { apiKey { id } userErrors { field code } } }'
        % ("x" * 200)
    )
    assert payload["createApiKey"]["userErrors"] == [{"field": ["name"], "code": "INVALID"}]


async def test_a_missing_key_is_unauthenticated(http):
    response = await http.post("/graphql", json={"query": "{ shop { name } }"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
