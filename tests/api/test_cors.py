"""CORS: the admin SPA's origins (setting CORS_ORIGINS) may call the API from a browser."""

from __future__ import annotations

import httpx
import pytest_asyncio

from api.app import create_app
from api.settings import Settings

SPA = "https://admin.example.com"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization,content-type",
}


@pytest_asyncio.fixture
async def browser(database):
    app = create_app(Settings(database_url=database, cors_origins=(SPA,)), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_the_admin_spa_origin_passes_the_preflight(browser):
    response = await browser.options("/graphql", headers={"Origin": SPA, **PREFLIGHT})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == SPA
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed


async def test_another_origin_is_refused(browser):
    response = await browser.options(
        "/graphql", headers={"Origin": "https://evil.example.com", **PREFLIGHT}
    )
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_the_spa_can_read_the_request_id_of_an_answer(browser, shops):
    shop = await shops()
    response = await browser.post(
        "/graphql",
        json={"query": "{ shop { name } }"},
        headers={"Origin": SPA, "Authorization": f"Bearer {await shop.key()}"},
    )
    assert response.headers["access-control-allow-origin"] == SPA
    assert response.headers["access-control-expose-headers"] == "X-Request-Id"
    assert response.headers["x-request-id"]


async def test_without_the_setting_no_origin_is_allowed(http):
    response = await http.options("/graphql", headers={"Origin": SPA, **PREFLIGHT})
    assert "access-control-allow-origin" not in response.headers
