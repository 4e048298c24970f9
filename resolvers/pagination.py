"""The one pagination helper: Relay-style connections over an id-ordered keyset."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from tortoise.queryset import QuerySet

from resolvers.error_codes import bad_input
from wire.ids import decode_cursor, encode_cursor

T = TypeVar("T")
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]

    @strawberry.field(description="How many items match, across all pages.")
    async def total_count(self) -> int:
        return await self._count()


def check_page_size(first: int | None) -> int:
    size = DEFAULT_PAGE_SIZE if first is None else first
    if not 0 <= size <= MAX_PAGE_SIZE:
        raise bad_input(f"`first` must be between 0 and {MAX_PAGE_SIZE}.")
    return size


def parse_after(after: str | None) -> int | None:
    if after is None:
        return None
    value = decode_cursor(after)
    if value is None:
        raise bad_input("`after` is not a valid cursor.")
    return value


async def paginate(
    query: QuerySet,
    first: int | None,
    after: str | None,
    to_node: Callable[[Any], T],
    *,
    key: str = "id",
    descending: bool = False,
) -> Connection[T]:
    """One page of `query`, ordered by `key` (a unique integer column), after the cursor.
    An empty page's `endCursor` is the `after` it was given, so that a reader who keeps
    polling with the last `endCursor` is never sent back to the start."""
    size = check_page_size(first)
    start = parse_after(after)
    page = query
    if start is not None:
        page = page.filter(**{f"{key}__lt" if descending else f"{key}__gt": start})
    rows = await page.order_by(f"-{key}" if descending else key).limit(size + 1)
    return connection_of(rows[:size], len(rows) > size, after, to_node, query.count, key)


def connection_of(
    rows: Sequence[Any],
    has_next: bool,
    after: str | None,
    to_node: Callable[[Any], T],
    count: Callable[[], Awaitable[int]],
    key: str = "id",
) -> Connection[T]:
    edges = [Edge(cursor=encode_cursor(getattr(row, key)), node=to_node(row)) for row in rows]
    return connection(edges, has_next, after, count)


def connection(
    edges: list[Edge[T]], has_next: bool, after: str | None, count: Callable[[], Awaitable[int]]
) -> Connection[T]:
    """A page of edges that carry their own cursors (also those of a keyset other than the
    id); an empty page's `endCursor` is the `after` it was given."""
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else after,
        ),
        _count=count,
    )
