"""The GraphiQL page, with subscriptions that authenticate.

GraphiQL sends the Headers tab with queries and mutations but opens its websocket with fixed
connection parameters; this page passes the Headers tab as the `connection_init` payload too,
so `{"Authorization": "Bearer <key>"}` works for subscriptions as it does for the rest.
"""

from __future__ import annotations

from functools import cache

from strawberry.http.ides import get_graphql_ide_html

STATIC_FETCHER = """      const fetcher = GraphiQL.createFetcher({
        url: fetchURL,
        headers: defaultHeaders,
        subscriptionUrl,
      });"""

FETCHER_WITH_HEADERS = """      const fetcher = (params, options) =>
        GraphiQL.createFetcher({
          url: fetchURL,
          headers: defaultHeaders,
          subscriptionUrl,
          wsConnectionParams: (options && options.headers) || {},
        })(params, options);"""


@cache
def graphiql_html() -> str:
    html = get_graphql_ide_html(graphql_ide="graphiql")
    if STATIC_FETCHER not in html:  # a Strawberry release changed the page: keep it as it is
        return html
    return html.replace(STATIC_FETCHER, FETCHER_WITH_HEADERS)
