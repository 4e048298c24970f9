"""Readiness: the database answers and every shipped migration is applied."""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse
from tortoise import connections
from tortoise.migrations.executor import MigrationExecutor

log = logging.getLogger("milestones.health")

CHECK_TIMEOUT_SECONDS = 2.0


async def database_reachable() -> bool:
    try:
        conn = connections.get("default")
        await asyncio.wait_for(conn.execute_query("SELECT 1"), CHECK_TIMEOUT_SECONDS)
        return True
    except Exception as error:  # any failure means "not ready"; the reason goes to the log
        log.warning("readiness: database unreachable", extra={"error": repr(error)})
        return False


async def pending_migrations(apps_config: dict) -> list[str]:
    executor = MigrationExecutor(connections.get("default"), apps_config)
    plan = await asyncio.wait_for(executor.plan(), CHECK_TIMEOUT_SECONDS)
    return [f"{s.migration.app_label}.{s.migration.name}" for s in plan if not s.backward]


def readyz_endpoint(apps_config: dict):
    async def readyz(request: Request) -> JSONResponse:
        if not await database_reachable():
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
        pending = await pending_migrations(apps_config)
        if pending:
            return JSONResponse(
                {"status": "unavailable", "database": "ok", "pendingMigrations": pending}, 503
            )
        return JSONResponse({"status": "ok", "database": "ok", "migrations": "applied"})

    return readyz
