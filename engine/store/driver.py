"""Running a unit of work's statements in one transaction, on either database.

A unit of work is written once, as a generator that yields statements and is sent what each
returns:

    def work():
        rows = yield Fetch("SELECT ... WHERE id = $1", (customer_id,))
        ...
        return result

On SQLite the whole generator runs in one call on aiosqlite's thread, where each await would
otherwise be a hop of its own (about 100 µs). Units of work that wait meanwhile share one
transaction, each in a savepoint of its own: one unit's failure undoes only that unit, and
the commit is paid once for all of them. On PostgreSQL a unit runs on one pooled asyncpg
connection inside a transaction, one round trip per statement: asyncpg has no pipelining of
parameterized statements.

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
    """A statement whose rows the work reads (rows support `row["column"]`, or with `plain`
    only `row[index]`: plain tuples on SQLite, cheaper when a work reads very many rows)."""

    sql: str
    params: Sequence[Any] = ()
    plain: bool = False


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
        return await _commits_for(client).run(work())
    async with client.acquire_connection() as connection:
        async with connection.transaction():
            return await _run_postgres(connection, work())


# Units of work one SQLite transaction takes at most.
GROUP = 64


class _GroupCommit:
    """SQLite's one connection, shared by the units of work waiting for it: whoever finds it
    free takes every unit queued, and runs them in one transaction, each in a savepoint."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.queue: list[tuple[Work, asyncio.Future]] = []
        self.draining = False

    async def run(self, work: Work[T]) -> T:
        future = asyncio.get_running_loop().create_future()
        self.queue.append((work, future))
        if not self.draining:
            self.draining = True
            asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self.queue:
                group, self.queue = self.queue[:GROUP], self.queue[GROUP:]
                try:
                    # The lock Tortoise's own transactions and queries take on its connection.
                    async with self.client._lock:
                        if self.client._connection is None:
                            await self.client.create_connection(with_db=True)
                        connection = self.client._connection
                        outcomes = await connection._execute(_run_sqlite, connection._conn, [w for w, _ in group])
                except BaseException as error:  # noqa: BLE001 - the commit failed: every unit did
                    outcomes = [(False, error)] * len(group)
                for (_, future), (done, value) in zip(group, outcomes, strict=True):
                    if not future.done():
                        future.set_result(value) if done else future.set_exception(value)
        finally:
            self.draining = False


_groups: dict[int, _GroupCommit] = {}


def _commits_for(client: Any) -> _GroupCommit:
    group = _groups.get(id(client))
    if group is None or group.client is not client:
        group = _groups[id(client)] = _GroupCommit(client)
    return group


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


def _run_sqlite(connection: sqlite3.Connection, works: list[Work]) -> list[tuple[bool, Any]]:
    """Each unit of work in a savepoint of one transaction: (True, its result) or (False, its
    error), when the transaction commits."""
    connection.execute("BEGIN IMMEDIATE")
    outcomes: list[tuple[bool, Any]] = []
    try:
        for work in works:
            connection.execute("SAVEPOINT unit")
            try:
                outcomes.append((True, _drive_sqlite(connection, work)))
            except Exception as error:  # noqa: BLE001 - that unit's, handed to its caller
                connection.execute("ROLLBACK TO unit")
                outcomes.append((False, error))
            connection.execute("RELEASE unit")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    return outcomes


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
            cursor = connection.cursor()
            if isinstance(statement, Fetch) and statement.plain:
                cursor.row_factory = None
            cursor.execute(query, [sqlite_value(v) for v in statement.params])
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
