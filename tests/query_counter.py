"""Counts the SQL statements the database client runs, to prove set-wise loading."""

from __future__ import annotations

from contextlib import contextmanager

from tortoise import connections

METHODS = ("execute_query", "execute_query_dict", "execute_insert", "execute_many")


@contextmanager
def count_queries():
    """Yields a list that collects every statement run inside the block."""
    seen: list[str] = []
    cls = type(connections.get("default"))
    originals = {name: getattr(cls, name) for name in METHODS}

    def wrap(original):
        async def counted(self, query, *args, **kwargs):
            seen.append(query)
            return await original(self, query, *args, **kwargs)

        return counted

    for name, original in originals.items():
        setattr(cls, name, wrap(original))
    try:
        yield seen
    finally:
        for name, original in originals.items():
            setattr(cls, name, original)
