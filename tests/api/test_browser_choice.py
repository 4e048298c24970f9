"""Customer's choice in a real browser: the widget shows a pending choice's options and the
shopper picks one; the API then holds exactly that reward. One server (with the storefront
allow-list on, as in production) and one Chromium for the module, as in test_browser.py."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio

from api import db
from tests.browser_support import (
    DESKTOP,
    Store,
    axe_check,
    chromium,
    digest,
    skip_or_fail_without_browser,
    spaces,
    store_page,
    watched_page,
    write_json_artifact,
)
from tests.builders import ACTIVATE_RULE, CREATE_RULE
from tests.server_process import ADMIN_KEY, COMMAND, ServerProcess, graphql, serving

ORDER = """mutation($c: String!, $o: String!) { recordOrder(input: {
  customerExternalId: $c, orderId: $o, total: "40.00", currency: "USD" }) {
  issuedRewards { id status } userErrors { code } } }"""
REWARDS = """query($c: String!) { customer(externalId: $c) { pointsBalance
  rewards(first: 5) { nodes { id kind status code chosenOption } } } }"""
OPTIONS = [{"points": {"points": 300}}, {"fixedDiscount": {"amount": "15"}}]


@dataclass
class Served:
    server: ServerProcess
    admin_key: str
    storefront_key: str
    widget_secret: str
    store: Store
    client: httpx.AsyncClient

    async def admin(self, query: str, variables: dict | None = None) -> dict:
        return await graphql(self.client, self.server, self.admin_key, query, variables)

    def page_for(self, customer: str) -> str:
        path = f"/choice/{customer}"
        proof = digest(self.widget_secret, customer)
        self.store.pages[path] = store_page(self.server.url, self.storefront_key, customer, proof)
        return self.store.origin + path

    async def reach_choice(self, customer: str) -> str:
        placed = await self.admin(ORDER, {"c": customer, "o": f"{customer}-1"})
        [issued] = placed["recordOrder"]["issuedRewards"]
        assert issued["status"] == "PENDING_CHOICE"
        return issued["id"]


@pytest.fixture(scope="module")
def server_database(database_url, tmp_path_factory) -> str:
    if db.is_postgres(database_url):
        return database_url
    return f"sqlite://{tmp_path_factory.mktemp('choice')}/served.sqlite3"


@pytest_asyncio.fixture(scope="module")
async def served(server_database, tmp_path_factory):
    skip_or_fail_without_browser()
    workdir = tmp_path_factory.mktemp("served-choice")
    made = subprocess.run(
        [COMMAND, "shop", "create", "--name", "Choice shop", "--currency", "USD", "--plan", "ADVANCED"],
        cwd=workdir, env={**os.environ, "DATABASE_URL": server_database},
        capture_output=True, text=True, timeout=60, check=True,
    )
    admin_key = ADMIN_KEY.search(made.stdout)[0]
    with Store() as store, serving(
        server_database, workdir, "choice", CORS_ORIGINS=store.origin, SWEEP_INTERVAL_SECONDS="0",
        RATE_LIMIT_PER_SECOND="0", STOREFRONT_ALLOW_LIST="true",
    ) as server:
        await server.until_ready()
        async with httpx.AsyncClient(timeout=30) as client:
            key = (await graphql(client, server, admin_key,
                                 'mutation { createApiKey(role: STOREFRONT, name: "theme") { secret } }'))
            secret = (await graphql(client, server, admin_key, "{ shop { widgetSecret } }"))["shop"]["widgetSecret"]
            found = Served(server, admin_key, key["createApiKey"]["secret"], secret, store, client)
            created = await found.admin(CREATE_RULE, {"input": {
                "name": "Pick a thank-you", "type": "ORDERS_COUNT",
                "milestones": [{"threshold": "1", "rewardOptions": OPTIONS, "choiceExpiryDays": 14}]}})
            assert created["createMilestoneRule"]["userErrors"] == []
            rule_id = created["createMilestoneRule"]["rule"]["id"]
            activated = await found.admin(ACTIVATE_RULE, {"id": rule_id, "past": False})
            assert activated["activateMilestoneRule"]["userErrors"] == []
            yield found


@pytest_asyncio.fixture(scope="module")
async def browser(served):
    async with chromium() as launched:
        yield launched


@pytest_asyncio.fixture
async def page(browser, served):
    context = await browser.new_context(viewport=DESKTOP)
    async with watched_page(context) as opened:
        yield opened


async def open_widget(page, url: str) -> None:
    await page.goto(url)
    await page.locator("milestones-progress .card > h2").wait_for()
    await page.wait_for_function(
        "() => { const w = document.querySelector('milestones-progress');"
        " return w && w.shadowRoot && !w.shadowRoot.querySelector('[aria-busy=true]'); }"
    )


async def test_the_shopper_chooses_the_discount_and_gets_its_code(page, served):
    reward_id = await served.reach_choice("ana")
    await open_widget(page, served.page_for("ana"))
    choice = page.locator(f"milestones-progress [data-choice='{reward_id}']")
    assert spaces(await choice.inner_text()).startswith("Choose by ")
    buttons = choice.get_by_role("button")
    assert [await b.get_attribute("aria-label") for b in await buttons.all()] == [
        "Choose 300 points", "Choose $15 off",
    ]
    await choice.get_by_role("button", name="Choose $15 off").click()
    code_item = page.locator("milestones-progress .code")
    await code_item.wait_for()
    await choice.wait_for(state="detached")
    data = (await served.admin(REWARDS, {"c": "ana"}))["customer"]
    [reward] = data["rewards"]["nodes"]
    assert (reward["id"], reward["kind"], reward["status"], reward["chosenOption"]) == (
        reward_id, "FIXED_DISCOUNT", "ISSUED", 1,
    )
    assert data["pointsBalance"] == 0
    assert await code_item.locator("code").inner_text() == reward["code"]
    assert spaces(await code_item.locator(".code-words").inner_text()) == "$15 off"


async def test_the_shopper_chooses_points_and_the_balance_shows_them(page, served):
    await served.reach_choice("ben")
    await open_widget(page, served.page_for("ben"))
    await page.locator("milestones-progress").get_by_role("button", name="Choose 300 points").click()
    balance = page.locator("milestones-progress [data-balance='points']")
    await page.wait_for_function(
        "() => document.querySelector('milestones-progress').shadowRoot"
        ".querySelector('[data-balance=points]').textContent === '300'"
    )
    assert await balance.inner_text() == "300"
    assert await page.locator("milestones-progress .choices").count() == 0
    assert (await served.admin(REWARDS, {"c": "ben"}))["customer"]["pointsBalance"] == 300


async def test_a_choice_shown_in_the_widget_has_no_accessibility_violations(page, served):
    await served.reach_choice("cy")
    await open_widget(page, served.page_for("cy"))
    await page.locator("milestones-progress .choices").wait_for()
    report = await axe_check(page)
    write_json_artifact("axe-report-choice.json", report)
    assert report["violations"] == []
    assert "button-name" in report["passes"]
