"""Counts the SQL statements the database client runs, to prove set-wise loading."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager

from tortoise import connections

METHODS = ("execute_query", "execute_query_dict", "execute_insert", "execute_many")


@contextmanager
def _recording(record: Callable[[str, list], None]):
    cls = type(connections.get("default"))
    originals = {name: getattr(cls, name) for name in METHODS}

    def wrap(original):
        async def counted(self, query, *args, **kwargs):
            values = args[0] if args else kwargs.get("values")
            record(query, list(values) if isinstance(values, (list, tuple)) else [])
            return await original(self, query, *args, **kwargs)

        return counted

    for name, original in originals.items():
        setattr(cls, name, wrap(original))
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(cls, name, original)


@contextmanager
def count_queries():
    """Yields a list that collects every statement run inside the block."""
    seen: list[str] = []
    with _recording(lambda query, values: seen.append(query)):
        yield seen


@contextmanager
def capture_statements():
    """Yields a list that collects (statement, values) for every statement run in the block."""
    seen: list[tuple[str, list]] = []
    with _recording(lambda query, values: seen.append((query, values))):
        yield seen
