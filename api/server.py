"""Running the server with uvicorn."""

from __future__ import annotations

import asyncio
import gc
import logging.config
import os
import socket
import tempfile
from pathlib import Path

import uvicorn

from api import db
from api.demo_shopper import demo_page_url
from api.log_format import logging_config
from api.settings import Settings

METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


def app_factory():
    from api.app import create_app

    app = create_app()
    tune_garbage_collector()
    return app


def tune_garbage_collector() -> None:
    """Under load the collector took about a quarter of the server's CPU, mostly re-scanning
    the long-lived objects of the imported modules and the schema. Those are frozen out of
    collection once start-up is done, and young collections run less often.
    `SERVER_GC=default` keeps Python's settings."""
    if os.environ.get("SERVER_GC", "tuned") == "default":
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


async def _prepare(settings: Settings, demo: bool) -> str | None:
    await db.migrate(settings.database_url)
    if not demo:
        return None
    from api.demo import ensure_demo_shop
    from api.demo_shopper import prepare_demo_widget

    await db.connect(settings.database_url)
    try:
        shop, secret = await ensure_demo_shop()
        await prepare_demo_widget(shop)
    finally:
        await db.disconnect()
    return secret


class PortInUse(Exception):
    pass


def check_port_free(host: str, port: int) -> None:
    """Refuse, in one line, before anything is set up or printed, to start on a port another
    process listens on (uvicorn would fail only after start-up)."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError:
            raise PortInUse(
                f"port {port} on {host} is in use (is another server running?); "
                "stop it or choose another port with --port"
            ) from None


def print_demo_banner(secret: str, host: str, port: int) -> None:
    print("Demo shop ready (plan ADVANCED, currency USD, three active rules).")
    print(f"  ADMIN key: {secret}  (named demo; each start replaces the previous one)")
    print(f"  GraphiQL:  http://{host}:{port}/graphql")
    print(f"  Widget:    {demo_page_url(host, port)}  (a demo shopper's progress)")
    print('  In GraphiQL, set the header {"Authorization": "Bearer <ADMIN key>"}.', flush=True)


def prepare_metrics_dir(workers: int, port: int) -> str | None:
    """Workers share their metrics through files in one directory, emptied at start so that
    counters begin at zero with the server. One worker keeps them in memory. Without a
    directory named, the server on `port` reuses one of its own, so restarts leave nothing."""
    path = os.environ.get(METRICS_DIR_ENV)
    if not path and workers <= 1:
        return None
    if not path:
        path = str(Path(tempfile.gettempdir()) / f"milestones-metrics-{port}")
        os.environ[METRICS_DIR_ENV] = path
    Path(path).mkdir(parents=True, exist_ok=True)
    for stale in Path(path).glob("*.db"):
        stale.unlink()
    return path


def serve(settings: Settings, *, host: str, port: int, workers: int = 1, demo: bool = False) -> None:
    if workers > 1 and not db.is_postgres(settings.database_url):
        raise ValueError("--workers above 1 needs DATABASE_URL on PostgreSQL (SQLite is one process)")
    check_port_free(host, port)
    log_config = logging_config(settings.log_level, settings.log_format)
    logging.config.dictConfig(log_config)
    prepare_metrics_dir(workers, port)
    secret = asyncio.run(_prepare(settings, demo))
    if secret:
        print_demo_banner(secret, host, port)
    uvicorn.run(
        "api.server:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # asyncio, not uvloop: uvloop showed a long p99 tail at 64 connections (STACK_NOTES).
        loop=os.environ.get("SERVER_LOOP", "asyncio"),
        log_config=log_config,
        access_log=False,
        timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
        # The same limit as the app's own (api/socket_limits.py), enforced on the wire.
        ws_max_size=settings.ws_max_message_bytes or 16 * 1024 * 1024,
    )
