"""The GraphiQL page, served with its assets from this server alone (api/static/graphiql/)."""

from __future__ import annotations

from pathlib import Path

from starlette.responses import HTMLResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

ASSETS = Path(__file__).resolve().parent / "static" / "graphiql"

# An admin's key is typed into this page: nothing but this server's own origin may run or load
# anything in it. The stylesheet's fonts are inline `data:` URIs inside that stylesheet.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def graphiql_page() -> HTMLResponse:
    return HTMLResponse((ASSETS / "index.html").read_text(), headers=PAGE_HEADERS)


def graphiql_assets() -> Mount:
    return Mount("/graphiql", app=StaticFiles(directory=ASSETS), name="graphiql")
