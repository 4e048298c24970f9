"""Limits: depth, aliases, tokens, page size, body size, rate per key; introspection for ADMIN."""

from __future__ import annotations

import json

import httpx
from graphql import get_introspection_query

from api.app import create_app
from api.rate_limit import TokenBuckets
from api.settings import Settings
from engine.core.enums import Role
from models import ApiKey, MilestoneRule
from resolvers.limits import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS


def codes(body: dict) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]


def nested(depth: int) -> str:
    return "{ " + "shop { " * depth + "name" + " }" * depth + " }"


async def test_query_deeper_than_the_limit_is_refused_before_it_runs(shops):
    shop = await shops()
    body = await shop.raw(nested(MAX_DEPTH + 1))
    assert body["data"] is None
    assert "QUERY_TOO_DEEP" in codes(body)
    deep = next(e for e in body["errors"] if e["extensions"]["code"] == "QUERY_TOO_DEEP")
    assert deep["message"] == f"'anonymous' exceeds maximum operation depth of {MAX_DEPTH}"


async def test_query_at_the_depth_limit_is_not_refused_for_its_depth(shops):
    shop = await shops()
    body = await shop.raw(nested(MAX_DEPTH))  # invalid fields, but not too deep
    assert "QUERY_TOO_DEEP" not in codes(body)


async def test_too_many_aliases_are_refused(shops):
    shop = await shops()
    fields = " ".join(f"a{i}: shop {{ name }}" for i in range(MAX_ALIASES + 1))
    body = await shop.raw("{ " + fields + " }")
    assert body["data"] is None
    assert codes(body) == ["TOO_MANY_ALIASES"]
    assert body["errors"][0]["message"] == f"{MAX_ALIASES + 1} aliases found. Allowed: {MAX_ALIASES}"


async def test_aliases_up_to_the_limit_are_answered(shops):
    shop = await shops()
    fields = " ".join(f"a{i}: shop {{ name }}" for i in range(MAX_ALIASES))
    data = await shop.gql("{ " + fields + " }")
    assert len(data) == MAX_ALIASES


async def test_document_with_too_many_tokens_is_refused(shops):
    shop = await shops()
    body = await shop.raw("{ shop { " + "name " * MAX_TOKENS + "} }")
    assert body["data"] is None
    assert body["errors"][0]["message"] == (
        f"Syntax Error: Document contains more than {MAX_TOKENS} tokens. Parsing aborted."
    )


async def test_page_size_above_100_is_refused(shops):
    shop = await shops()
    body = await shop.raw("{ customers(first: 101) { totalCount } }")
    assert body["data"] is None
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == "`first` must be between 0 and 100."
    assert (await shop.gql("{ customers(first: 100) { totalCount } }"))["customers"] == {
        "totalCount": 0
    }


async def test_body_larger_than_the_limit_gets_413(shops, http):
    shop = await shops()
    padding = "x" * (Settings().max_body_bytes + 1)
    response = await http.post(
        "/graphql",
        json={"query": "{ shop { name } }", "variables": {"padding": padding}},
        headers={"Authorization": f"Bearer {await shop.key()}"},
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"] == {
        "code": "PAYLOAD_TOO_LARGE",
        "maxBytes": Settings().max_body_bytes,
    }


async def test_streamed_body_without_length_is_cut_at_the_limit(shops, http):
    shop = await shops()

    async def chunks():
        yield b'{"query": "{ shop { name } }", "variables": {"p": "'
        for _ in range(40):
            yield b"x" * 8192
        yield b'"}}'

    response = await http.post(
        "/graphql",
        content=chunks(),
        headers={"Authorization": f"Bearer {await shop.key()}", "Content-Type": "application/json"},
    )
    assert response.status_code == 413


async def test_body_under_the_limit_is_served(shops, http):
    shop = await shops()
    padding = "x" * (Settings().max_body_bytes - 1000)
    response = await http.post(
        "/graphql",
        json={"query": "{ shop { name } }", "variables": {"padding": padding}},
        headers={"Authorization": f"Bearer {await shop.key()}"},
    )
    assert response.status_code == 200
    assert response.json()["data"]["shop"]["name"] == shop.shop.name


def test_token_bucket_allows_the_burst_then_says_when_the_next_token_comes():
    now = [100.0]
    buckets = TokenBuckets(per_second=2, burst=3, clock=lambda: now[0])
    assert [buckets.take(1) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take(1) == 0.5
    assert buckets.take(2) == 0.0  # another key has its own bucket
    now[0] += 0.5
    assert buckets.take(1) == 0.0
    assert buckets.take(1) == 0.5
    now[0] += 60
    assert [buckets.take(1) for _ in range(4)] == [0.0, 0.0, 0.0, 0.5]  # refills up to the burst


async def test_key_over_its_rate_gets_429_with_retry_after(shops, database):
    app = create_app(
        Settings(database_url=database, rate_limit_per_second=0.01, rate_limit_burst=3),
        manage_database=False,
    )
    shop = await shops()
    busy, other = await shop.key(Role.ADMIN), await shop.key(Role.PARTNER)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:

        async def call(key: str) -> httpx.Response:
            return await c.post(
                "/graphql",
                json={"query": "{ shop { name } }"},
                headers={"Authorization": f"Bearer {key}"},
            )

        assert [(await call(busy)).status_code for _ in range(3)] == [200, 200, 200]
        refused = await call(busy)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 100
        error = refused.json()["errors"][0]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert error["extensions"]["retryAfter"] == int(refused.headers["retry-after"])
        assert (await call(other)).status_code == 200


async def test_admin_may_introspect_the_schema(shops):
    shop = await shops()
    data = await shop.gql(get_introspection_query())
    names = {t["name"] for t in data["__schema"]["types"]}
    assert {"Query", "Mutation", "Subscription", "MilestoneRule"} <= names


async def test_other_roles_may_not_introspect(shops):
    shop = await shops()
    for role in (Role.PARTNER, Role.STOREFRONT):
        for query in ("{ __schema { types { name } } }", '{ __type(name: "Shop") { name } }'):
            body = await shop.raw(query, role=role)
            assert body["data"] is None
            assert set(codes(body)) == {"FORBIDDEN"}, (role, body)


async def test_typename_is_not_introspection(shops):
    shop = await shops()
    assert await shop.gql("{ __typename }", role=Role.PARTNER) == {"__typename": "Query"}


UNSTORABLE = ["a\u0000b", "a\ud800b", "\udfff"]


async def test_text_no_database_can_store_is_refused_before_anything_runs(shops):
    shop = await shops()
    queries = [
        "mutation($t: String!) { createApiKey(role: PARTNER, name: $t) { userErrors { code } } }",
        "mutation($t: String!) { recordSignup(input: {customerExternalId: $t}) { userErrors { code } } }",
        (
            "mutation($t: String!) { createMilestoneRule(input: {name: $t, type: ORDERS_COUNT, "
            'milestones: [{threshold: "1", reward: {points: {points: 1}}}]}) { userErrors { code } } }'
        ),
        "query($t: String!) { customer(externalId: $t) { id } }",
    ]
    for query in queries:
        for text in UNSTORABLE:
            # Escaped JSON: the way such text travels.
            response = await shop.http.post(
                "/graphql",
                content=json.dumps({"query": query, "variables": {"t": text}}),
                headers={
                    "Authorization": f"Bearer {await shop.key()}",
                    "Content-Type": "application/json",
                },
            )
            assert response.json() == {
                "data": None,
                "errors": [
                    {
                        "message": "Text may not contain NUL characters or unpaired surrogates.",
                        "extensions": {"code": "BAD_USER_INPUT"},
                    }
                ],
            }, (query, text)
    assert await ApiKey.filter(shop_id=shop.id).count() == 1  # only the calling key
    assert await MilestoneRule.filter(shop_id=shop.id).count() == 0


async def test_nul_in_a_literal_is_refused_and_a_lone_surrogate_escape_does_not_parse(shops):
    shop = await shops()
    nul = await shop.raw('mutation { createApiKey(role: PARTNER, name: "a\\u0000b") { secret } }')
    assert codes(nul) == ["BAD_USER_INPUT"]
    lone = await shop.raw('mutation { createApiKey(role: PARTNER, name: "a\\ud800b") { secret } }')
    assert lone["data"] is None and "INTERNAL_SERVER_ERROR" not in codes(lone)
    assert await ApiKey.filter(shop_id=shop.id).count() == 1
