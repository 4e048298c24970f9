"""The storefront widget's script, and its demo page under `milestones serve --demo`."""

from __future__ import annotations

import html
import os
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from api.demo_shopper import DEMO_KEY_ENV, DEMO_SHOPPER
from engine.services.keys import authenticate
from engine.services.shops import customer_digest

ASSETS = Path(__file__).resolve().parent / "static" / "widget"

# The script is embedded in other sites' pages (hence cross-origin); it changes with releases.
SCRIPT_HEADERS = {
    "Cache-Control": "public, max-age=300",
    "Cross-Origin-Resource-Policy": "cross-origin",
    "X-Content-Type-Options": "nosniff",
}
DEMO_PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


async def widget_script(request: Request) -> Response:
    return FileResponse(
        ASSETS / "widget.js", media_type="text/javascript; charset=utf-8", headers=SCRIPT_HEADERS
    )


async def demo_stylesheet(request: Request) -> Response:
    return FileResponse(ASSETS / "demo.css", media_type="text/css; charset=utf-8")


async def demo_page(request: Request) -> Response:
    """The widget as a store would embed it, for the demo shop's shopper."""
    key = await authenticate(os.environ.get(DEMO_KEY_ENV, ""))
    if key is None:
        return PlainTextResponse("The demo page is served by `milestones serve --demo`.", 404)
    base = str(request.base_url).rstrip("/")
    values = {
        "shop": key.shop.name,
        "endpoint": f"{base}/graphql",
        "key": os.environ[DEMO_KEY_ENV],
        "customer": DEMO_SHOPPER,
        "digest": customer_digest(key.shop, DEMO_SHOPPER),
        "lang": request.query_params.get("lang", "en")[:20],
        "graphiql": f"{base}/graphql",
    }
    page = (ASSETS / "demo.html").read_text()
    for name, value in values.items():
        page = page.replace(f"{{{{{name}}}}}", html.escape(value, quote=True))
    return HTMLResponse(
        page, headers={"Content-Security-Policy": DEMO_PAGE_POLICY, "Cache-Control": "no-store"}
    )


def widget_routes() -> list[Route]:
    return [
        Route("/widget.js", widget_script),
        Route("/widget/demo", demo_page),
        Route("/widget/demo.css", demo_stylesheet),
    ]
