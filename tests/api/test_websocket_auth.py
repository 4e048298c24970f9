"""The legacy graphql-ws protocol refuses keys with the same close codes as graphql-transport-ws."""

import json

from engine.core.enums import Role
from tests.event_support import LEGACY_WS, graphql_socket


async def _legacy_close(app, key: str, scheme: str = "Bearer "):
    async with graphql_socket(app, LEGACY_WS) as socket:
        await socket.ws.send_json({"type": "connection_init", "payload": {"Authorization": f"{scheme}{key}"}})
        error = json.loads(await socket.ws.receive_text(timeout=5))
        try:
            await socket.ws.receive_text(timeout=5)
        except Exception as closed:  # the close frame
            return error, getattr(closed, "code", None)
    raise AssertionError("the socket stayed open")


async def test_legacy_protocol_closes_an_unknown_key_with_4401(app):
    error, code = await _legacy_close(app, "msk_admin_nope")
    assert error["type"] == "connection_error"
    assert code == 4401


async def test_legacy_protocol_closes_a_storefront_key_with_4403(shops, app):
    shop = await shops()
    error, code = await _legacy_close(app, await shop.key(Role.STOREFRONT))
    assert error == {"type": "connection_error", "payload": {"message": "This key's role may not subscribe."}}
    assert code == 4403


async def test_a_key_sent_without_bearer_is_closed_with_4401_naming_the_scheme(shops, app):
    shop = await shops()
    error, code = await _legacy_close(app, await shop.key(), scheme="")
    assert error["payload"] == {
        "message": "The Authorization header must name the Bearer scheme: "
        "`Authorization: Bearer <key>`."
    }
    assert code == 4401
