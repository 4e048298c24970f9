"""The Starlette application."""

from __future__ import annotations

import contextlib
import logging
import logging.config
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from api import db, metrics
from api.auth import BearerAuth
from api.body_limit import BodySizeLimit
from api.event_services import event_services
from api.fanout import streams
from api.graphiql import graphiql_assets
from api.graphql_app import MilestonesGraphQL
from api.health import readyz_endpoint
from api.http_errors import internal_error
from api.ingest import shopify_webhook, woocommerce_webhook
from api.log_format import logging_config
from api.persisted_queries import PersistedQueries
from api.rate_limit import rate_limit
from api.request_log import RequestLog
from api.settings import Settings
from api.socket_limits import WebSocketMessageLimit
from api.sweeper import Sweeper
from api.widget_routes import widget_routes
from engine.services import telemetry
from engine.services.store_secrets import SecretBox
from resolvers.allow_list import StorefrontOperations
from resolvers.schema import schema

log = logging.getLogger("milestones")


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings | None = None, *, manage_database: bool = True) -> Starlette:
    """The ASGI app. With `manage_database`, the lifespan migrates, connects and disconnects;
    tests that set the database up themselves pass False."""
    settings = settings or Settings.from_env()
    streams.queue_size = settings.subscriber_queue_size
    operations = StorefrontOperations.load(settings.storefront_operations_file, schema._schema)
    persisted = PersistedQueries(known=operations.hashes())
    graphql = MilestonesGraphQL(
        schema,
        keep_alive=True,
        keep_alive_interval=15,
        persisted=persisted,
        max_subscriptions_per_key=settings.max_subscriptions_per_key,
    )
    limited = rate_limit(graphql, settings.rate_limit_per_second, settings.rate_limit_burst)
    protected = BodySizeLimit(BearerAuth(limited), settings.max_body_bytes)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_database:
            # JSON logs under any ASGI server, not only `milestones serve`.
            logging.config.dictConfig(logging_config(settings.log_level, settings.log_format))
            await db.migrate(settings.database_url)
            await db.connect(settings.database_url)
        sweeper = None
        if manage_database and settings.sweep_interval_seconds > 0:
            sweeper = Sweeper(settings.database_url, settings.sweep_interval_seconds)
            sweeper.start()
        try:
            if manage_database:
                async with event_services(settings):
                    yield
            else:
                yield
        finally:
            if sweeper is not None:
                await sweeper.stop()
            metrics.process_exited()
            if manage_database:
                await db.disconnect()

    telemetry.install(metrics)
    middleware = [Middleware(RequestLog)]
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=["Authorization", "Content-Type", "X-Request-Id"],
                expose_headers=["X-Request-Id"],
            )
        )
    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz_endpoint(db.tortoise_config(settings.database_url)["apps"])),
            Route("/metrics", metrics.metrics_endpoint),
            Route("/graphql", protected, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", WebSocketMessageLimit(graphql, settings.ws_max_message_bytes)),
            graphiql_assets(),
            *widget_routes(),
            Route("/ingest/shopify", shopify_webhook, methods=["POST"]),
            Route("/ingest/woocommerce", woocommerce_webhook, methods=["POST"]),
        ],
        middleware=middleware,
        exception_handlers={Exception: internal_error},
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.storefront_operations = operations
    app.state.store_secrets = SecretBox(settings.store_secret_key)
    return app
