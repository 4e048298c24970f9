"""API keys over GraphQL: created by admins, shown once, stored hashed, revoked at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from httpx_ws import WebSocketDisconnect

from api.live_sockets import live_sockets
from engine.core.enums import Role
from engine.services.keys import hash_key
from models import ApiKey
from tests.event_support import subscriber

CREATE = """
mutation($role: ApiKeyRole!, $name: String!) {
  createApiKey(role: $role, name: $name) {
    apiKey { id name role prefix revokedAt } secret userErrors { field code message }
  }
}"""
REVOKE = """
mutation($id: ID!) {
  revokeApiKey(id: $id) { apiKey { id revokedAt } userErrors { field code message } }
}"""
KEYS = """
query($all: Boolean!) { apiKeys(first: 100, includeRevoked: $all) { totalCount nodes { id name role } } }
"""


async def create(shop, role: str = "PARTNER", name: str = "checkout") -> dict:
    return (await shop.gql(CREATE, {"role": role, "name": name}))["createApiKey"]


async def status_with(http, secret: str) -> int:
    response = await http.post(
        "/graphql", json={"query": "{ shop { name } }"}, headers={"Authorization": f"Bearer {secret}"}
    )
    return response.status_code


async def test_created_key_works_with_its_role_and_is_stored_only_as_a_hash(shops, http):
    shop = await shops()
    payload = await create(shop, "PARTNER", "checkout")
    assert payload["userErrors"] == []
    secret = payload["secret"]
    assert secret.startswith("msk_partner_") and len(secret) > 40
    assert payload["apiKey"]["role"] == "PARTNER"
    assert payload["apiKey"]["name"] == "checkout"
    assert payload["apiKey"]["prefix"] == secret[:16]
    row = await ApiKey.get(shop_id=shop.id, name="checkout")
    assert row.key_hash == hash_key(secret)
    assert secret not in {row.key_hash, row.prefix}
    assert await status_with(http, secret) == 200


async def test_secret_is_never_shown_again(shops):
    shop = await shops()
    secret = (await create(shop))["secret"]
    body = await shop.raw(
        "{ apiKeys(first: 100) { nodes { id name role prefix createdAt revokedAt } } }"
    )
    assert secret not in str(body)
    assert len(body["data"]["apiKeys"]["nodes"]) == 2  # the test's admin key and the new one


async def test_revoked_key_is_refused_with_the_next_request(shops, http):
    shop = await shops()
    created = await create(shop)
    assert await status_with(http, created["secret"]) == 200
    revoked = (await shop.gql(REVOKE, {"id": created["apiKey"]["id"]}))["revokeApiKey"]
    assert revoked["userErrors"] == []
    assert revoked["apiKey"]["revokedAt"] is not None
    assert await status_with(http, created["secret"]) == 401


async def test_revoked_keys_leave_the_list_unless_asked_for(shops):
    shop = await shops()
    created = await create(shop, name="old")
    await shop.gql(REVOKE, {"id": created["apiKey"]["id"]})
    live = (await shop.gql(KEYS, {"all": False}))["apiKeys"]
    every = (await shop.gql(KEYS, {"all": True}))["apiKeys"]
    assert [n["name"] for n in live["nodes"]] == [""]
    assert [n["name"] for n in every["nodes"]] == ["", "old"]
    assert (live["totalCount"], every["totalCount"]) == (1, 2)


async def test_key_of_another_shop_cannot_be_revoked(shops, http):
    mine, theirs = await shops(), await shops()
    victim = await create(theirs)
    payload = (await mine.gql(REVOKE, {"id": victim["apiKey"]["id"]}))["revokeApiKey"]
    assert payload == {
        "apiKey": None,
        "userErrors": [{"field": ["id"], "code": "NOT_FOUND", "message": "API key not found."}],
    }
    assert await status_with(http, victim["secret"]) == 200


async def test_key_name_longer_than_120_characters_is_invalid(shops):
    shop = await shops()
    payload = await create(shop, name="x" * 121)
    assert payload["secret"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(["name"], "INVALID")]
    assert await ApiKey.filter(shop_id=shop.id).count() == 1  # only the calling key


async def test_partner_cannot_create_or_revoke_keys(shops):
    shop = await shops()
    body = await shop.raw(CREATE, {"role": "ADMIN", "name": "escalate"}, role=Role.PARTNER)
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert await ApiKey.filter(shop_id=shop.id, role="ADMIN").count() == 0


async def test_revoking_a_key_closes_its_open_websocket_with_4401(shops, app):
    shop = await shops()
    created = await create(shop)
    async with subscriber(app, created["secret"]) as socket:
        await shop.gql(REVOKE, {"id": created["apiKey"]["id"]})
        try:
            message = await socket.message(timeout=5)
        except WebSocketDisconnect as closed:
            assert closed.code == 4401
        else:
            raise AssertionError(f"socket still open, got {message}")


async def test_key_revoked_by_another_process_closes_its_websocket_at_the_next_check(shops, app):
    shop = await shops()
    created = await create(shop)
    async with subscriber(app, created["secret"]) as socket:
        # As another process would: straight in the database, no in-process notice.
        await ApiKey.filter(id=created["apiKey"]["id"].rsplit("/", 1)[1]).update(
            revoked_at=datetime(2026, 1, 1, tzinfo=UTC)
        )
        await live_sockets.recheck()
        try:
            await asyncio.wait_for(socket.message(), 5)
        except WebSocketDisconnect as closed:
            assert closed.code == 4401
        else:
            raise AssertionError("socket still open")


async def test_other_keys_sockets_stay_open_when_one_key_is_revoked(shops, app):
    shop = await shops()
    kept, dropped = await create(shop, name="kept"), await create(shop, name="dropped")
    async with subscriber(app, kept["secret"]) as socket:
        await shop.gql(REVOKE, {"id": dropped["apiKey"]["id"]})
        await live_sockets.recheck()
        assert await socket.nothing_within(0.3)
