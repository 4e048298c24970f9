"""The floors' server: the same stack as Milestones doing the least possible work.

`/bare` is a plain Starlette endpoint; `/graphql` is Strawberry with the same parser and
validation caches as the real schema, answering `{ hello }`, `mutation { insertRow }`, which
inserts one row through Tortoise in a transaction, and `subscription { ticks }`, which
`mutation { broadcast }` feeds with the time it was called. Served by uvicorn with the settings
`milestones serve` uses (api/server.py).

    python -m bench.floor_app --port 8123 --database sqlite://path.sqlite3
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import time
from collections.abc import AsyncGenerator

import strawberry
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache
from tortoise import Tortoise, fields
from tortoise.models import Model
from tortoise.transactions import in_transaction

from api import db
from api.server import tune_garbage_collector


class FloorRow(Model):
    id = fields.BigIntField(primary_key=True)
    note = fields.CharField(max_length=64)

    class Meta:
        table = "floor_rows"


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "world"


_listeners: set[asyncio.Queue[float]] = set()


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def insert_row(self, note: str) -> int:
        async with in_transaction():
            row = await FloorRow.create(note=note)
        return row.id

    @strawberry.mutation
    def broadcast(self) -> int:
        """Hands the current time to every subscriber of `ticks`."""
        now = time.time()
        for queue in _listeners:
            queue.put_nowait(now)
        return len(_listeners)


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self) -> AsyncGenerator[float, None]:
        queue: asyncio.Queue[float] = asyncio.Queue()
        _listeners.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            _listeners.discard(queue)


schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    extensions=[lambda: ParserCache(maxsize=512), lambda: ValidationCache(maxsize=512)],
)


async def bare(request: Request) -> JSONResponse:
    return JSONResponse({"data": {"hello": "world"}})


def create_app(database_url: str) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app):
        await Tortoise.init(
            db_url=db.normalize_url(database_url),
            modules={"models": ["bench.floor_app"]},
            _enable_global_fallback=True,
        )
        await Tortoise.generate_schemas(safe=True)
        yield
        await Tortoise.close_connections()

    graphql = GraphQL(schema)
    return Starlette(
        routes=[
            Route("/bare", bare, methods=["GET", "POST"]),
            Route("/graphql", graphql, methods=["POST"]),
            WebSocketRoute("/graphql", graphql),
        ],
        lifespan=lifespan,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database", required=True)
    args = parser.parse_args()
    app = create_app(args.database)
    tune_garbage_collector()
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        loop=os.environ.get("SERVER_LOOP", "asyncio"),
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
