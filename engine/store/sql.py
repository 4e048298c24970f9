"""Raw SQL written once for both databases: placeholders, values, and statements run on
Tortoise's connection (outside the units of work of engine/store/driver.py).

Statements use PostgreSQL's `$1` placeholders; on SQLite they become `?1`, which SQLite reads
the same way. Datetimes go to SQLite as the text Tortoise stores (`isoformat(" ")`, UTC) so
that comparisons agree with rows written through the ORM, and come back as aware datetimes.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

_PLACEHOLDER = re.compile(r"\$(\d+)")


def current(conn: BaseDBAsyncClient | None = None) -> BaseDBAsyncClient:
    return conn if conn is not None else connections.get("default")


def is_sqlite(conn: BaseDBAsyncClient) -> bool:
    return conn.capabilities.dialect == "sqlite"


@lru_cache(maxsize=2048)
def sqlite_statement(sql: str) -> str:
    """A statement written with `$n` placeholders, as SQLite takes it (`?n`)."""
    return _PLACEHOLDER.sub(r"?\1", sql)


def sqlite_value(value: Any) -> Any:
    return _sqlite_time(value) if isinstance(value, datetime) else value


# A batch writes the same few times (its clock's now, each activity's time) on many rows.
@lru_cache(maxsize=4096)
def _sqlite_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(" ")


def _prepare(conn: BaseDBAsyncClient, sql: str, params: tuple[Any, ...]) -> tuple[str, list]:
    if not is_sqlite(conn):
        return sql, list(params)
    return sqlite_statement(sql), [sqlite_value(v) for v in params]


# Rows per multi-row INSERT. SQLite prepares a statement anew for every text it has not
# cached, and a VALUES list of 2,000 rows of 13 columns costs 4 to 5 times what the same rows
# cost in statements of 50 to 500 (measured on issued_rewards); PostgreSQL pays one round trip
# more per chunk, which 250 keeps small.
ROWS_PER_STATEMENT = 250


@lru_cache(maxsize=256)
def value_rows(rows: int, width: int, first: int = 1) -> str:
    """Placeholders for a multi-row VALUES list: `($1, $2), ($3, $4)` for 2 rows of 2."""
    return ", ".join(
        "(" + ", ".join(f"${first + r * width + c}" for c in range(width)) + ")" for r in range(rows)
    )


@lru_cache(maxsize=1024)
def marks(count: int, first: int = 1) -> str:
    """Placeholders for an IN list: `$2, $3, $4` for 3 values from the second."""
    return ", ".join(f"${first + n}" for n in range(count))


async def execute_many(conn: BaseDBAsyncClient, sql: str, rows: list[tuple[Any, ...]]) -> None:
    """Run one statement for each row of parameters (one round trip on both databases)."""
    if not rows:
        return
    if is_sqlite(conn):
        await conn.execute_many(
            sqlite_statement(sql), [[sqlite_value(v) for v in row] for row in rows]
        )
    else:
        await conn.execute_many(sql, [list(row) for row in rows])


async def fetch(conn: BaseDBAsyncClient, sql: str, *params: Any) -> list[dict[str, Any]]:
    """Rows as dicts."""
    query, values = _prepare(conn, sql, params)
    return await conn.execute_query_dict(query, values)


async def fetch_one(conn: BaseDBAsyncClient, sql: str, *params: Any) -> dict[str, Any] | None:
    rows = await fetch(conn, sql, *params)
    return rows[0] if rows else None


async def execute(conn: BaseDBAsyncClient, sql: str, *params: Any) -> int:
    """Run a statement; the number of rows it changed."""
    query, values = _prepare(conn, sql, params)
    count, _ = await conn.execute_query(query, values)
    return count


async def keep_latest(
    conn: BaseDBAsyncClient, table: str, owner_column: str, owner: int, keep: int
) -> int:
    """Delete all but the latest `keep` rows (by id) of `owner` in a log table; how many went.
    `table` and `owner_column` are the code's own names, never input."""
    return await execute(
        conn,
        f"DELETE FROM {table} WHERE {owner_column} = $1 AND id < ("
        f" SELECT id FROM {table} WHERE {owner_column} = $1"
        " ORDER BY id DESC LIMIT 1 OFFSET $2)",
        owner,
        keep - 1,
    )


def to_datetime(value: Any) -> datetime | None:
    """A datetime read by raw SQL: aware UTC on both databases."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def moment(value: Any) -> datetime:
    """A datetime of a NOT NULL column, read by raw SQL: aware UTC on both databases."""
    found = to_datetime(value)
    if found is None:
        raise ValueError("a NOT NULL time column read as NULL")
    return found


def greatest(conn: BaseDBAsyncClient) -> str:
    """The SQL function that returns the largest of its arguments."""
    return "max" if is_sqlite(conn) else "GREATEST"


def least(conn: BaseDBAsyncClient) -> str:
    return "min" if is_sqlite(conn) else "LEAST"


def from_json(value: Any) -> Any:
    """A JSON column read by raw SQL: text on SQLite and, without a codec, on asyncpg."""
    return json.loads(value) if isinstance(value, str) else value
