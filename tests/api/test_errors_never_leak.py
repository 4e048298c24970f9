"""Unexpected failures reach the client as a generic error with a request id; the log has the
traceback. No stack trace, SQL or secret in any response."""

from __future__ import annotations

import logging

import httpx
import pytest

from engine.core.enums import Role
from engine.services import keys
from tests.builders import make_rule, order, points

SECRET_SQL = "SELECT key_hash FROM api_keys WHERE shop_id = 42 -- s3cr3t-token"
CREATE_KEY = 'mutation { createApiKey(role: PARTNER) { secret userErrors { code } } }'
LEAKS = ("Traceback", "RuntimeError", "SELECT", "s3cr3t", "api_keys", '.py"', "line ")


def boom(*args, **kwargs):
    raise RuntimeError(SECRET_SQL)


async def boom_async(*args, **kwargs):
    boom()


def assert_nothing_leaks(text: str) -> None:
    for leak in LEAKS:
        assert leak not in text, (leak, text)


async def test_unexpected_error_in_a_resolver_answers_a_generic_error_with_the_request_id(
    shops, monkeypatch, caplog
):
    shop = await shops()
    await shop.key()  # made before the engine is broken
    monkeypatch.setattr(keys, "create_key", boom_async)
    with caplog.at_level(logging.ERROR, logger="milestones.errors"):
        response = await shop.post(CREATE_KEY)
    assert response.status_code == 200
    request_id = response.headers["x-request-id"]
    body = response.json()
    assert body == {
        "data": None,
        "errors": [
            {
                "message": f"Internal error. Quote request id {request_id} when reporting it.",
                "locations": [{"line": 1, "column": 12}],
                "path": ["createApiKey"],
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
            }
        ],
    }
    assert_nothing_leaks(response.text)
    (record,) = [r for r in caplog.records if request_id in r.getMessage()]
    assert record.exc_info[0] is RuntimeError
    assert SECRET_SQL in str(record.exc_info[1])


async def test_callers_request_id_is_quoted_back(shops, monkeypatch):
    shop = await shops()
    key = await shop.key()
    monkeypatch.setattr(keys, "create_key", boom_async)
    response = await shop.http.post(
        "/graphql",
        json={"query": CREATE_KEY},
        headers={"Authorization": f"Bearer {key}", "X-Request-Id": "checkout-7f3a"},
    )
    assert response.json()["errors"][0]["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "requestId": "checkout-7f3a",
    }


async def test_failure_outside_graphql_answers_500_json_with_the_request_id(
    shops, app, monkeypatch, caplog
):
    shop = await shops()
    secret = await shop.key(Role.PARTNER)
    monkeypatch.setattr("api.auth.authenticate", boom_async)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        with caplog.at_level(logging.ERROR, logger="milestones.errors"):
            response = await client.post(
                "/graphql",
                json={"query": "{ shop { name } }"},
                headers={"Authorization": f"Bearer {secret}"},
            )
    assert response.status_code == 500
    request_id = response.headers["x-request-id"]
    assert response.json() == {
        "errors": [
            {
                "message": f"Internal error. Quote request id {request_id} when reporting it.",
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
            }
        ]
    }
    assert_nothing_leaks(response.text)
    assert any(
        request_id in r.getMessage() and r.exc_info and r.exc_info[0] is RuntimeError
        for r in caplog.records
    )


@pytest.mark.parametrize(
    "variables",
    [
        {"total": "12..5"},
        {"total": "NaN"},
        {"total": "1e999999999"},
        {"total": "-Infinity"},
        {"total": ["1"]},
        {"total": "9" * 5000},
    ],
)
async def test_absurd_input_is_a_plain_error_not_an_internal_one(shops, variables):
    shop = await shops()
    query = """mutation($total: Decimal!) { recordOrder(input: {customerExternalId: "c",
      orderId: "o", total: $total, currency: "USD"}) { userErrors { field code message } } }"""
    response = await shop.post(query, variables)
    assert response.status_code == 200
    body = response.json()
    codes = [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]
    if body.get("data"):
        codes += [e["code"] for e in body["data"]["recordOrder"]["userErrors"]]
    assert codes and "INTERNAL_SERVER_ERROR" not in codes, body
    assert_nothing_leaks(response.text)


async def test_error_in_one_field_does_not_break_a_sibling_sharing_a_loader(shops):
    shop = await shops()
    await make_rule(shop, "ORDERS_COUNT", [(1, points(5))])
    for name in ("c-1", "c-2", "c-3"):
        await order(shop, name)
    # The invalid cursor nulls the whole page while the progress of the other customers is
    # still loading in one shared batch: that must stay a plain error, never a 500.
    response = await shop.post(
        "{ customers(first: 10) { nodes { progress { value } } "
        'edges { node { progress { value } rewards(after: "+") { totalCount } } } } }'
    )
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
