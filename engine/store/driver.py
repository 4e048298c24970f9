"""Running a unit of work's statements in one transaction, on either database.

A unit of work is written once, as a generator that yields statements and is sent what each
returns:

    def work():
        rows = yield Fetch("SELECT ... WHERE id = $1", (customer_id,))
        ...
        return result

On SQLite the whole generator runs in one call on aiosqlite's thread: BEGIN IMMEDIATE, every
statement and COMMIT in one hop, where each await would otherwise be a hop of its own (about
100 µs). On PostgreSQL it runs on one pooled asyncpg connection inside a transaction, one round
trip per statement: asyncpg has no pipelining of parameterized statements.

A transaction that meets a concurrent one (PostgreSQL deadlock or serialization failure,
SQLite's busy lock, a unique key another transaction took first, a `Conflict` the work raises)
is rolled back and run again from a fresh generator, a bounded number of times with jitter.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
from tortoise import connections

from engine.services import telemetry
from engine.store.sql import is_sqlite, sqlite_statement, sqlite_value

T = TypeVar("T")
ATTEMPTS = 6
BACKOFF_SECONDS = 0.005


@dataclass(frozen=True)
class Fetch:
    """A statement whose rows the work reads (rows support `row["column"]`)."""

    sql: str
    params: Sequence[Any] = ()


@dataclass(frozen=True)
class Execute:
    """A statement whose number of changed rows the work reads."""

    sql: str
    params: Sequence[Any] = ()


@dataclass(frozen=True)
class ExecuteMany:
    """One statement run for each row of parameters."""

    sql: str
    rows: Sequence[Sequence[Any]]


Statement = Fetch | Execute | ExecuteMany
Work = Generator[Statement, Any, T]


class Conflict(Exception):
    """The work met a change by a concurrent transaction that its reads did not show: run it
    again on fresh reads."""


# Called with each statement's SQL as it runs: tests count statements with it.
_observers: list[Callable[[str], None]] = []


def observe(observer: Callable[[str], None]) -> Callable[[], None]:
    """Call `observer` with every statement run from now on; returns the function that stops."""
    _observers.append(observer)
    return lambda: _observers.remove(observer)


def dialect() -> str:
    return "sqlite" if is_sqlite(connections.get("default")) else "postgres"


async def run(work: Callable[[], Work[T]], *, label: str = "work") -> T:
    """Run the generator `work()` makes in one transaction and return what it returns; run a
    fresh one again after a transient conflict (counted by `label`)."""
    for attempt in range(ATTEMPTS):
        try:
            return await _run_once(work)
        except Exception as error:
            kind = _transient(error)
            if kind is None or attempt == ATTEMPTS - 1:
                raise
            telemetry.conflict_retried(label, kind)
            await asyncio.sleep(random.uniform(0, BACKOFF_SECONDS * 2**attempt))
    raise AssertionError("unreachable")


async def _run_once(work: Callable[[], Work[T]]) -> T:
    client = connections.get("default")
    if is_sqlite(client):
        # The lock Tortoise's own transactions and queries take on its one connection.
        async with client._lock:
            if client._connection is None:
                await client.create_connection(with_db=True)
            connection = client._connection
            return await connection._execute(_run_sqlite, connection._conn, work())
    async with client.acquire_connection() as connection:
        async with connection.transaction():
            return await _run_postgres(connection, work())


async def run_in(connection: Any, work: Work[T]) -> T:
    """Run `work`'s statements inside a transaction Tortoise already holds (`in_transaction()`),
    an await per statement: for code that joins a change made through the ORM."""
    from engine.store import sql

    answer: Any = None
    try:
        while True:
            statement = work.send(answer)
            _tell(statement.sql)
            if isinstance(statement, ExecuteMany):
                await sql.execute_many(connection, statement.sql, [tuple(r) for r in statement.rows])
                answer = None
            elif isinstance(statement, Fetch):
                answer = await sql.fetch(connection, statement.sql, *statement.params)
            else:
                answer = await sql.execute(connection, statement.sql, *statement.params)
    except StopIteration as done:
        return done.value
    finally:
        work.close()


def _run_sqlite(connection: sqlite3.Connection, work: Work[T]) -> T:
    connection.execute("BEGIN IMMEDIATE")
    try:
        result = _drive_sqlite(connection, work)
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    return result


def _drive_sqlite(connection: sqlite3.Connection, work: Work[T]) -> T:
    answer: Any = None
    try:
        while True:
            statement = work.send(answer)
            _tell(statement.sql)
            query = sqlite_statement(statement.sql)
            if isinstance(statement, ExecuteMany):
                connection.executemany(query, [[sqlite_value(v) for v in row] for row in statement.rows])
                answer = None
                continue
            cursor = connection.execute(query, [sqlite_value(v) for v in statement.params])
            answer = cursor.fetchall() if isinstance(statement, Fetch) else cursor.rowcount
    except StopIteration as done:
        return done.value
    finally:
        work.close()


async def _run_postgres(connection: asyncpg.Connection, work: Work[T]) -> T:
    answer: Any = None
    try:
        while True:
            statement = work.send(answer)
            _tell(statement.sql)
            if isinstance(statement, ExecuteMany):
                await connection.executemany(statement.sql, [list(row) for row in statement.rows])
                answer = None
            elif isinstance(statement, Fetch):
                answer = await connection.fetch(statement.sql, *statement.params)
            else:
                status = await connection.execute(statement.sql, *statement.params)
                answer = int(status.rsplit(" ", 1)[-1]) if status[-1:].isdigit() else 0
    except StopIteration as done:
        return done.value
    finally:
        work.close()


def _tell(sql: str) -> None:
    for observer in _observers:
        observer(sql)


def _transient(error: Exception) -> str | None:
    """What kind of transient conflict `error` is, or None when it is not one."""
    if isinstance(error, Conflict):
        return "conflict"
    if isinstance(error, asyncpg.DeadlockDetectedError):
        return "deadlock"
    if isinstance(error, asyncpg.SerializationError):
        return "serialization"
    if isinstance(error, asyncpg.UniqueViolationError) or (
        isinstance(error, sqlite3.IntegrityError) and "UNIQUE" in str(error)
    ):
        return "unique"
    if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
        return "locked"
    return None
