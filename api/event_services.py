"""The process's reward-event services, run for the app's lifetime: the PostgreSQL listener
that wakes followers for commits made by other processes, and the webhook delivery worker."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from api import db
from api.event_listener import PostgresListener
from api.settings import Settings
from delivery.hub import hub
from delivery.webhook_worker import WebhookWorker


@contextlib.asynccontextmanager
async def event_services(settings: Settings) -> AsyncIterator[None]:
    listener = (
        PostgresListener(settings.database_url, hub)
        if db.is_postgres(settings.database_url)
        else None
    )
    worker = WebhookWorker(
        hub,
        poll_seconds=settings.webhook_poll_seconds,
        max_attempts=settings.webhook_max_attempts,
        retry_base_seconds=settings.webhook_retry_base_seconds,
        public_only=settings.environment != "development",
    )
    if listener is not None:
        listener.start()
    worker.start()
    try:
        yield
    finally:
        await worker.stop()
        if listener is not None:
            await listener.stop()
