"""Debian's Chromium driven by Playwright, against a real `milestones serve --demo`.

The browser is the system's (`/usr/bin/chromium`; Playwright's own download is never used).
Without it the browser tests skip, unless MILESTONES_REQUIRE_BROWSER is set (CI sets it), in
which case they fail. Screenshots and the accessibility report go to `test-artifacts/`.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import os
import re
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
REQUIRE_ENV = "MILESTONES_REQUIRE_BROWSER"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
LOCAL_HOSTS = {"127.0.0.1", "localhost"}

WIDGET_SCRIPT = (ROOT / "api" / "static" / "widget" / "widget.js").read_text()
# The one document the widget sends, read from widget.js itself.
WIDGET_DOCUMENT = re.search(r"MilestonesWidget: `(.*?)`", WIDGET_SCRIPT, re.S).group(1)


def browser_unavailable() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install -y chromium)"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed"
    return None


def skip_or_fail_without_browser() -> None:
    reason = browser_unavailable()
    if reason is None:
        return
    if os.environ.get(REQUIRE_ENV):
        pytest.fail(f"{REQUIRE_ENV} is set but the browser cannot run: {reason}")
    pytest.skip(f"browser tests need Chromium: {reason}")


def digest(secret: str, customer: str) -> str:
    """What a store's server computes (README, "Storefront widget")."""
    return hmac.new(secret.encode(), customer.encode(), hashlib.sha256).hexdigest()


def store_page(server_url: str, key: str, customer: str, customer_digest: str, lang: str = "en") -> str:
    """A store's page with the widget pasted as the README says."""
    attrs = {
        "endpoint": f"{server_url}/graphql",
        "key": key,
        "customer": customer,
        "digest": customer_digest,
        "lang": lang,
    }
    element = " ".join(f'{name}="{html.escape(value)}"' for name, value in attrs.items())
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>A store</title>'
        f'<script src="{server_url}/widget.js" defer></script></head>'
        f"<body><main><h1>My account</h1><milestones-progress {element}>"
        "</milestones-progress></main></body></html>"
    )


class Store:
    """A store's site: pages on an origin of their own (another loopback port than the
    server's, so the widget's requests are cross-origin, as on a real store), served from
    memory by a small HTTP server in a thread. The browser's own routing keeps every other
    address out of reach."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server name
                body = pages.get(urlsplit(self.path).path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write((body or "").encode())

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Store:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


async def only_localhost(route) -> None:
    """A context's route: anything but this machine's loopback is refused."""
    if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
        await route.continue_()
    else:
        await route.abort()


def spaces(text: str) -> str:
    """Intl's narrow and no-break spaces as plain ones, runs of whitespace as one."""
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())


async def deep_focus(page) -> dict | None:
    """The focused element, through shadow roots."""
    return await page.evaluate(
        """() => {
          let node = document.activeElement;
          while (node && node.shadowRoot && node.shadowRoot.activeElement) {
            node = node.shadowRoot.activeElement;
          }
          return node && node !== document.body
            ? { tag: node.tagName, label: node.getAttribute("aria-label"), text: node.textContent }
            : null;
        }"""
    )


async def axe_check(page) -> dict:
    """axe-core (pinned inside axe-playwright-python) run on the page, shadow roots included."""
    from axe_playwright_python.base import AXE_SCRIPT

    # Evaluated through the driver, so that the page's Content-Security-Policy does not apply.
    await page.evaluate(f"() => {{ {AXE_SCRIPT}\n; window.axe = axe; }}")
    return await page.evaluate(
        "async () => { const r = await axe.run(document); "
        "return { version: axe.version, violations: r.violations.map(v => "
        "({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length })), "
        "passes: r.passes.map(p => p.id) }; }"
    )


def write_artifact(name: str, content: bytes | str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    if isinstance(content, str):
        path.write_text(content)
    else:
        path.write_bytes(content)
    return path


def write_json_artifact(name: str, value) -> Path:
    return write_artifact(name, json.dumps(value, indent=2) + "\n")


@asynccontextmanager
async def chromium() -> AsyncIterator:
    """Debian's Chromium, launched headless through Playwright, until the block ends."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            await launched.close()


@asynccontextmanager
async def watched_page(context) -> AsyncIterator:
    """A new page of `context` that may reach only this machine, with a 10 s default timeout;
    the block fails if the page threw an uncaught error meanwhile. Closes the context."""
    await context.route("**/*", only_localhost)
    opened = await context.new_page()
    errors: list[str] = []
    opened.set_default_timeout(10_000)
    opened.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield opened
    finally:
        await context.close()
    assert errors == []
