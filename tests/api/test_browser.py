"""The storefront widget and GraphiQL in a real browser, against `milestones serve --demo`.

One server and one Chromium for the module. A shop in EUR has a rule of every type and a
shopper with progress on each; the widget is pasted into a store page of another origin (CORS),
as a store would. The demo shop's page and GraphiQL come from the server itself.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio

from api import db
from tests import browser_support
from tests.browser_support import (
    DESKTOP,
    LOCAL_HOSTS,
    PHONE,
    WIDGET_DOCUMENT,
    Store,
    axe_check,
    chromium,
    deep_focus,
    digest,
    only_localhost,
    skip_or_fail_without_browser,
    spaces,
    store_page,
    watched_page,
    write_artifact,
    write_json_artifact,
)
from tests.builders import ACTIVATE_RULE, CREATE_RULE
from tests.server_process import ADMIN_KEY, COMMAND, ServerProcess, graphql, serving

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
CUSTOMER = "shopper-1"
INACTIVITY_NAME = "We miss you"


@dataclass
class Served:
    server: ServerProcess
    demo_admin_key: str
    demo_page: str
    admin_key: str  # of the EUR shop
    storefront_key: str
    widget_secret: str
    store: Store
    client: httpx.AsyncClient
    empty_shop: tuple[str, str] = ("", "")  # a shop with no rules: its STOREFRONT key, secret

    async def admin(self, query: str, variables: dict | None = None) -> dict:
        return await graphql(self.client, self.server, self.admin_key, query, variables)

    async def widget_view(self, customer: str = CUSTOMER) -> dict:
        variables = {"customer": customer, "digest": digest(self.widget_secret, customer)}
        data = await graphql(self.client, self.server, self.storefront_key, WIDGET_DOCUMENT, variables)
        return data["widget"]

    def page_for(
        self, customer: str = CUSTOMER, lang: str = "en", wrong_digest: bool = False,
        empty_shop: bool = False,
    ) -> str:
        key, secret = self.empty_shop if empty_shop else (self.storefront_key, self.widget_secret)
        path = f"/{lang}/{customer}{'/wrong' if wrong_digest else ''}{'/empty' if empty_shop else ''}"
        proof = "0" * 64 if wrong_digest else digest(secret, customer)
        self.store.pages[path] = store_page(self.server.url, key, customer, proof, lang)
        return self.store.origin + path


async def storefront_access(client: httpx.AsyncClient, server: ServerProcess, admin_key: str):
    """A new STOREFRONT key of the admin key's shop, and the shop's widget secret."""
    made = await graphql(client, server, admin_key,
                         'mutation { createApiKey(role: STOREFRONT, name: "theme") { secret } }')
    shop = await graphql(client, server, admin_key, "{ shop { widgetSecret } }")
    return made["createApiKey"]["secret"], shop["shop"]["widgetSecret"]


RULES = [
    ("Order ladder", "ORDERS_COUNT", {}, [
        {"threshold": "2", "reward": {"points": {"points": 100}}},
        {"threshold": "5", "reward": {"percentageDiscount": {"percent": "15"}}},
    ]),
    ("Big spender", "AMOUNT_SPENT", {"rewardExpiryDays": 30}, [
        {"threshold": "100", "reward": {"fixedDiscount": {"amount": "10"}}},
        {"threshold": "500", "reward": {"storeCredit": {"amount": "25"}}},
    ]),
    ("Points club", "POINTS_EARNED", {}, [
        {"threshold": "50", "reward": {"freeShipping": {}}},
        {"threshold": "200", "reward": {"freeGift": {"productId": "mug", "productTitle": "Enamel mug"}}},
    ]),
    ("Reviewer", "REVIEWS_COUNT", {}, [
        {"threshold": "1", "reward": {"points": {"points": 20}}},
        {"threshold": "3", "reward": {"fixedDiscount": {"amount": "5", "minimumSubtotal": "50"}}},
    ]),
    ("Subscriber", "SUBSCRIPTION_CYCLES", {}, [
        {"threshold": "3", "reward": {"points": {"points": 30}}},
    ]),
    ("Welcome journey", "MIXED", {}, [
        {"threshold": "1", "stepMetric": "ORDERS", "description": "Place your first order",
         "reward": {"points": {"points": 10}}},
        {"threshold": "1", "stepMetric": "REVIEWS", "description": "Review a product",
         "reward": {"freeShipping": {"maxShippingAmount": "8"}}},
        {"threshold": "100", "stepMetric": "AMOUNT_SPENT", "description": "Spend €100 more",
         "reward": {"percentageDiscount": {"percent": "10"}}},
    ]),
    ("Monthly streak", "STREAK", {"period": "MONTH", "streakMetric": "ORDERS"}, [
        {"threshold": "3", "reward": {"points": {"points": 40}}},
    ]),
    (INACTIVITY_NAME, "INACTIVITY", {}, [
        {"threshold": "30", "reward": {"points": {"points": 5}}},
    ]),
]

ORDER = """mutation($c: String!, $o: String!, $t: Decimal!) { recordOrder(input: {
  customerExternalId: $c, orderId: $o, total: $t, currency: "EUR" }) { userErrors { code } } }"""
REVIEW = """mutation($c: String!, $r: String!) { recordReview(input: {
  customerExternalId: $c, reviewId: $r }) { userErrors { code } } }"""
POINTS = """mutation($c: String!) { recordPointsEarned(input: { customerExternalId: $c,
  entryId: "p1", points: 25, source: "birthday" }) { userErrors { code } } }"""
BILLING = """mutation($c: String!, $b: String!) { recordSubscriptionBilling(input: {
  customerExternalId: $c, billingId: $b, contractId: "k1" }) { userErrors { code } } }"""


async def record_order(served: Served, order_id: str, total: str = "60.00", customer: str = CUSTOMER):
    data = await served.admin(ORDER, {"c": customer, "o": order_id, "t": total})
    assert data["recordOrder"]["userErrors"] == []


async def build_eur_shop(served: Served) -> None:
    for name, rule_type, extra, milestones in RULES:
        created = await served.admin(
            CREATE_RULE, {"input": {"name": name, "type": rule_type, "milestones": milestones, **extra}}
        )
        assert created["createMilestoneRule"]["userErrors"] == []
        rule_id = created["createMilestoneRule"]["rule"]["id"]
        activated = await served.admin(ACTIVATE_RULE, {"id": rule_id, "past": False})
        assert activated["activateMilestoneRule"]["userErrors"] == []
    # In this order: the first order finishes the journey's first step, the second counts for
    # nothing there (a review is due), the review finishes the second, the third order counts
    # toward the third step.
    await record_order(served, "o1")
    await record_order(served, "o2")
    assert (await served.admin(REVIEW, {"c": CUSTOMER, "r": "r1"}))["recordReview"]["userErrors"] == []
    await record_order(served, "o3")
    assert (await served.admin(POINTS, {"c": CUSTOMER}))["recordPointsEarned"]["userErrors"] == []
    for billing in ("b1", "b2"):
        billed = await served.admin(BILLING, {"c": CUSTOMER, "b": billing})
        assert billed["recordSubscriptionBilling"]["userErrors"] == []


@pytest.fixture(scope="module")
def server_database(database_url, tmp_path_factory) -> str:
    """PostgreSQL: the suite's database; SQLite: a file of the server's own (one process)."""
    if db.is_postgres(database_url):
        return database_url
    return f"sqlite://{tmp_path_factory.mktemp('browser')}/served.sqlite3"


@pytest_asyncio.fixture(scope="module")
async def served(server_database, tmp_path_factory):
    skip_or_fail_without_browser()
    workdir = tmp_path_factory.mktemp("served")

    def create_shop(name: str, currency: str) -> str:
        made = subprocess.run(
            [COMMAND, "shop", "create", "--name", name, "--currency", currency, "--plan", "ADVANCED"],
            cwd=workdir, env={**os.environ, "DATABASE_URL": server_database},
            capture_output=True, text=True, timeout=60, check=True,
        )
        return ADMIN_KEY.search(made.stdout)[0]

    admin_key, empty_admin_key = create_shop("Maison Test", "EUR"), create_shop("Empty", "USD")
    with Store() as store, serving(
        server_database, workdir, "demo", demo=True,
        CORS_ORIGINS=store.origin, SWEEP_INTERVAL_SECONDS="0", RATE_LIMIT_PER_SECOND="0",
    ) as server:
        await server.until_ready()
        printed = server.log_path.read_text()
        demo_admin_key = re.search(r"ADMIN key: (\S+)", printed)[1]
        demo_page = re.search(r"Widget: +(\S+)", printed)[1]
        assert re.search(r"GraphiQL: +http://127\.0\.0\.1:\d+/graphql", printed)
        async with httpx.AsyncClient(timeout=30) as client:
            key, secret = await storefront_access(client, server, admin_key)
            found = Served(server, demo_admin_key, demo_page, admin_key, key, secret, store, client)
            found.empty_shop = await storefront_access(client, server, empty_admin_key)
            await build_eur_shop(found)
            yield found


@pytest_asyncio.fixture(scope="module")
async def browser(served):
    async with chromium() as launched:
        yield launched


@pytest_asyncio.fixture
async def page(browser, served):
    context = await browser.new_context(viewport=DESKTOP)
    await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=served.store.origin)
    async with watched_page(context) as opened:
        await opened.add_init_script(VIOLATIONS)
        yield opened


# Content-Security-Policy violations a page reports, kept for the test to read.
VIOLATIONS = (
    "window.violations = []; document.addEventListener('securitypolicyviolation',"
    " e => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));"
)


async def open_widget(page, url: str) -> None:
    await page.goto(url)
    await page.locator("milestones-progress .card > h2").wait_for()
    await page.wait_for_function(
        "() => { const w = document.querySelector('milestones-progress');"
        " return w && w.shadowRoot && !w.shadowRoot.querySelector('[aria-busy=true]'); }"
    )


def section(page, rule_id: str):
    return page.locator(f"milestones-progress section[data-rule='{rule_id}']")


def number(value: str | None) -> Decimal:
    return Decimal(value).normalize()


EXPECTED_FIGURES = {
    "Order ladder": "3 of 5 orders",
    "Big spender": "€180 of €500",
    "Reviewer": "1 of 3 reviews",
    "Points club": "155 of 200 points",
    "Subscriber": "2 of 3 billing cycles",
    "Monthly streak": "1 of 3 periods in a row",
}


async def test_the_widget_shows_the_apis_numbers_for_every_rule_type(page, served):
    view = await served.widget_view()
    await open_widget(page, served.page_for())
    by_type = {p["rule"]["type"]: p for p in view["progress"]}
    assert set(by_type) == {"ORDERS_COUNT", "AMOUNT_SPENT", "POINTS_EARNED", "REVIEWS_COUNT",
                            "SUBSCRIPTION_CYCLES", "MIXED", "STREAK"}
    assert await page.locator("milestones-progress section.rule").count() == len(view["progress"])

    for progress in view["progress"]:
        rule = section(page, progress["rule"]["id"])
        assert await rule.locator("h3").inner_text() == progress["rule"]["name"]
        statuses = await rule.locator("li[data-status]").evaluate_all("ns => ns.map(n => n.dataset.status)")
        assert statuses == [m["status"] for m in progress["milestones"]]
        bars = rule.locator("[role=progressbar]")
        if progress["rule"]["type"] == "MIXED":
            journey, step = bars.nth(0), bars.nth(1)
            assert await journey.get_attribute("aria-valuenow") == str(progress["currentStep"])
            assert await journey.get_attribute("aria-valuemax") == str(len(progress["milestones"]))
            bar = step
        else:
            bar = bars.first
        assert number(await bar.get_attribute("aria-valuenow")) == number(progress["value"])
        assert number(await bar.get_attribute("aria-valuemax")) == number(progress["nextThreshold"])
        assert await bar.get_attribute("aria-label")
        if progress["rule"]["name"] in EXPECTED_FIGURES:
            figure = spaces(await rule.locator(".figure").first.inner_text())
            assert figure == EXPECTED_FIGURES[progress["rule"]["name"]]
            assert spaces(await bar.get_attribute("aria-valuetext")) == figure

    journey = by_type["MIXED"]
    assert (journey["currentStep"], journey["value"], journey["nextThreshold"]) == (2, "60.00", "100.00")
    steps = section(page, journey["rule"]["id"])
    assert spaces(await steps.locator("[aria-current=step] .figure").inner_text()) == "€60 of €100"
    assert [spaces(t) for t in await steps.locator("li strong").all_inner_texts()] == [
        "Place your first order", "Review a product", "Spend €100 more",
    ]
    words = spaces(await page.locator("milestones-progress .card").inner_text())
    for phrase in ("100 points", "15% off", "€10 off", "€25 store credit", "Free shipping",
                   "Free gift: Enamel mug", "€5 off on orders of €50 or more",
                   "Free shipping up to €8", "Step 3 of 3"):
        assert phrase in words, phrase

    points = await page.locator("milestones-progress [data-balance=points]").inner_text()
    credit = await page.locator("milestones-progress [data-balance=storeCredit]").inner_text()
    assert int(points.replace(",", "")) == view["pointsBalance"]
    assert spaces(credit) == f"€{int(Decimal(view['storeCreditBalance']))}"

    codes = {r["code"]: r for r in view["rewards"]["nodes"] if r["code"]}
    assert len(codes) == 3
    shown = await page.locator("milestones-progress .code code").all_inner_texts()
    assert sorted(shown) == sorted(codes)
    expiring = [c for c in codes.values() if c["expiresAt"]]
    assert len(expiring) == 1 and expiring[0]["reward"]["__typename"] == "FixedDiscountReward"
    expiry = spaces(await page.locator("milestones-progress .code", has_text=expiring[0]["code"]).inner_text())
    assert re.search(r"Expires [A-Z][a-z]{2} \d{1,2}, \d{4}", expiry), expiry
    write_artifact("widget-every-rule-type.png", await page.screenshot(full_page=True))


async def test_inactivity_rules_never_appear(page, served):
    view = await served.widget_view()
    assert INACTIVITY_NAME not in json.dumps(view)
    await open_widget(page, served.page_for())
    assert INACTIVITY_NAME not in await page.locator("milestones-progress .card").inner_text()
    rules = await served.admin("{ milestoneRules(first: 20, status: [ACTIVE]) { nodes { name type } } }")
    assert INACTIVITY_NAME in [r["name"] for r in rules["milestoneRules"]["nodes"]]


async def test_an_order_recorded_through_the_api_appears_in_the_open_widget(page, served):
    customer = "shopper-live"
    await record_order(served, "live-1", customer=customer)
    await open_widget(page, served.page_for(customer))
    orders = page.locator("milestones-progress section", has_text="Order ladder").locator(".figure")
    assert spaces(await orders.inner_text()) == "1 of 2 orders"
    await page.evaluate("window.notReloaded = true")
    await record_order(served, "live-2", customer=customer)
    await page.wait_for_function(
        "() => document.querySelector('milestones-progress').shadowRoot"
        ".querySelector('section[data-rule] .figure').textContent === '2 of 5 orders'",
        timeout=15_000,
    )
    assert await page.evaluate("window.notReloaded") is True
    status = page.locator("milestones-progress [role=status]")
    await status.filter(has_text="Your progress was updated.").wait_for()


async def test_a_wrong_digest_shows_a_neutral_message_and_no_data(page, served):
    await open_widget(page, served.page_for(wrong_digest=True))
    text = spaces(await page.locator("milestones-progress .card").inner_text())
    assert text == "Your rewards Your rewards can’t be shown right now. Please try again in a little while."
    assert await page.locator("milestones-progress [role=progressbar]").count() == 0
    assert await page.locator("milestones-progress button").count() == 0


async def test_a_shop_with_nothing_to_show_says_so(page, served):
    await open_widget(page, served.page_for("someone-new", empty_shop=True))
    text = spaces(await page.locator("milestones-progress .card").inner_text())
    assert text == (
        "Your rewards Points 0 Store credit $0 There are no rewards to work toward right now. "
        "Check back soon! Your codes Reach a milestone to earn a code."
    )


async def test_an_unreachable_server_offers_to_try_again_from_the_keyboard(page, served):
    async def refuse(route):
        await route.abort()

    await page.route("**/graphql", refuse)
    await page.goto(served.page_for())
    retry = page.locator("milestones-progress button", has_text="Try again")
    await retry.wait_for()
    assert "can’t be shown right now" in await page.locator("milestones-progress .card").inner_text()
    await page.unroute("**/graphql")
    await page.keyboard.press("Tab")
    assert (await deep_focus(page))["text"] == "Try again"
    await page.keyboard.press("Enter")
    await page.locator("milestones-progress .figure", has_text="3 of 5 orders").wait_for()


async def test_the_widget_speaks_french_with_lang(page, served):
    await open_widget(page, served.page_for(lang="fr"))
    words = spaces(await page.locator("milestones-progress .card").inner_text())
    for phrase in ("Vos récompenses", "3 sur 5 commandes", "180 € sur 500 €", "1 sur 3 avis",
                   "Étape 3 sur 3", "60 € sur 100 €", "Vos codes", "Copier", "Cadeau offert : Enamel mug"):
        assert phrase in words, phrase
    assert "orders" not in words


async def test_keyboard_focus_reaches_every_copy_button_and_copies(page, served):
    await open_widget(page, served.page_for())
    codes = await page.locator("milestones-progress .code code").all_inner_texts()
    reached = []
    for _ in range(20):
        await page.keyboard.press("Tab")
        focused = await deep_focus(page)
        if focused is None:
            break
        reached.append(focused)
    labels = [f["label"] for f in reached if f["tag"] == "BUTTON"]
    assert labels == [f"Copy code {code}" for code in codes]
    await page.locator("milestones-progress .code button").first.focus()
    await page.keyboard.press("Enter")
    await page.locator("milestones-progress .code button", has_text="Copied").wait_for()
    status = page.locator("milestones-progress [role=status]")
    await status.filter(has_text=f"Code {codes[0]} copied.").wait_for()
    assert await page.evaluate("navigator.clipboard.readText()") == codes[0]


async def test_axe_finds_no_serious_accessibility_violations(page, served):
    report = {}
    for name, url in (("store page", served.page_for()), ("demo page", served.demo_page)):
        await open_widget(page, url)
        report[name] = await axe_check(page)
    write_json_artifact("axe-report.json", report)
    serious = {
        name: [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
        for name, result in report.items()
    }
    assert serious == {"store page": [], "demo page": []}
    for result in report.values():  # the checks reached inside the widget's shadow root
        assert {"aria-progressbar-name", "button-name", "color-contrast"} <= set(result["passes"])


async def test_the_demo_page_shows_the_demo_shopper_at_desktop_and_phone_widths(page, served):
    assert served.demo_page.endswith("/widget/demo")
    await open_widget(page, served.demo_page)
    words = spaces(await page.locator("milestones-progress .card").inner_text())
    for phrase in ("3 of 5 orders", "$240 of $500", "Free gift: Classic shirt", "Step 3 of 3",
                   "2 of 3 orders", "Expires"):
        assert phrase in words, phrase
    write_artifact("widget-desktop.png", await page.screenshot(full_page=True))
    await page.set_viewport_size(PHONE)
    await page.wait_for_timeout(100)
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    write_artifact("widget-phone.png", await page.screenshot(full_page=True))
    assert await page.evaluate("window.violations") == []  # under the page's strict CSP

    # The README's demo order, pasted as written, shows in the open page.
    section_text = README[README.index("## Storefront widget"):README.index("## Following reward events")]
    [demo_order] = re.findall(r"```graphql\n(.*?)```", section_text, re.S)
    recorded = await graphql(served.client, served.server, served.demo_admin_key, demo_order)
    assert recorded["recordOrder"] == {"customer": {"ordersCount": 4}, "userErrors": []}
    orders = page.locator("milestones-progress section", has_text="Order ladder").locator(".figure")
    await orders.filter(has_text="4 of 5 orders").wait_for(timeout=15_000)


TOUR_FIRST_QUERY = re.findall(r"```graphql\n(.*?)```", README[README.index("## A five-minute tour"):], re.S)[0]


async def test_graphiql_runs_the_tours_first_query_with_only_localhost_reachable(browser, served):
    assert TOUR_FIRST_QUERY.strip() == "{ shop { name currency plan } }"
    context = await browser.new_context(viewport=DESKTOP)
    blocked: list[str] = []

    async def block_all_but_localhost(route):
        if urlsplit(route.request.url).hostname not in LOCAL_HOSTS:
            blocked.append(route.request.url)
        await only_localhost(route)

    await context.route("**/*", block_all_but_localhost)
    page = await context.new_page()
    await page.add_init_script(VIOLATIONS)
    try:
        await page.goto(f"{served.server.url}/graphql")
        editors = page.locator(".graphiql-container .CodeMirror")
        await editors.first.wait_for(timeout=20_000)
        await editors.first.click()
        await page.keyboard.press("Control+A")
        await page.keyboard.type(TOUR_FIRST_QUERY.strip())
        await page.locator(".graphiql-editor-tool .CodeMirror").last.click()
        await page.keyboard.type(json.dumps({"Authorization": f"Bearer {served.demo_admin_key}"}))
        await page.keyboard.press("Control+Enter")
        result = page.locator(".result-window")
        await result.filter(has_text="Demo Outfitters").wait_for(timeout=10_000)
        assert json.loads(await page.evaluate(
            "document.querySelector('.result-window .CodeMirror').CodeMirror.getValue()"
        )) == {"data": {"shop": {"name": "Demo Outfitters", "currency": "USD", "plan": "ADVANCED"}}}
        assert blocked == [] and await page.evaluate("window.violations") == []
        write_artifact("graphiql.png", await page.screenshot())
    finally:
        await context.close()


def test_without_chromium_the_browser_tests_skip_unless_required(monkeypatch):
    monkeypatch.setattr(browser_support, "CHROMIUM", Path("/nonexistent/chromium"))
    monkeypatch.delenv(browser_support.REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="/nonexistent/chromium is missing"):
        browser_support.skip_or_fail_without_browser()
    monkeypatch.setenv(browser_support.REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="MILESTONES_REQUIRE_BROWSER is set"):
        browser_support.skip_or_fail_without_browser()
