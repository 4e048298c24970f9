"""The `milestones` command line."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from api import db
from api.settings import Settings
from engine.core.enums import Plan, Role, StorePlatform
from engine.services.clock import OutOfCalendar, as_utc


class CliError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """Bad arguments get one line naming the problem, not the whole usage text."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _time(value: str) -> datetime:
    """An ISO 8601 time with an offset (`2026-03-01T00:00:00+00:00`, or `Z` for UTC)."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {value!r}") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give the time's offset, e.g. {value}+00:00") from None
    try:
        return as_utc(moment)
    except OutOfCalendar as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _bounded(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        if not value.isdigit() or not low <= int(value) <= high:
            raise argparse.ArgumentTypeError(
                f"{value!r} is not a whole number from {low} to {high}"
            )
        return int(value)

    return parse


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="milestones", description="Milestones rewards engine.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the GraphQL server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_bounded(0, 65535), default=8000)
    serve.add_argument(
        "--workers", type=_bounded(1, 64), default=1, help="processes (PostgreSQL only above 1)"
    )
    serve.add_argument("--demo", action="store_true", help="create a demo shop, print a key")

    shop = sub.add_parser("shop", help="manage shops").add_subparsers(dest="action", required=True)
    create = shop.add_parser("create", help="create a shop and print an ADMIN key")
    create.add_argument("--name", required=True)
    create.add_argument("--currency", required=True)
    create.add_argument("--plan", choices=[p.value for p in Plan], default=Plan.FREE.value)
    create.add_argument("--timezone", default="UTC")

    key = sub.add_parser("key", help="manage API keys").add_subparsers(dest="action", required=True)
    key_create = key.add_parser("create", help="create an API key and print it")
    key_create.add_argument("--shop", required=True, help="the shop's id (number or global id)")
    key_create.add_argument("--role", choices=[r.value for r in Role], required=True)
    key_create.add_argument("--name", default="")

    sub.add_parser("migrate", help="apply database migrations")
    export = sub.add_parser("export-schema", help="write the GraphQL schema")
    export.add_argument("--output", default="schema.graphql")

    signed = sub.add_parser(
        "sign-webhook", help="print a curl command delivering a JSON file as a store would"
    )
    signed.add_argument("file", type=Path, help="the webhook's JSON body")
    signed.add_argument("--platform", choices=[p.value.lower() for p in StorePlatform], required=True)
    signed.add_argument("--topic", required=True, help="orders/create, order.updated, …")
    signed.add_argument("--domain", required=True, help="the connected store's domain")
    signed.add_argument("--secret", required=True, help="the secret given to connectStore")
    signed.add_argument("--webhook-id", default=None, help="default: made from file and topic")
    signed.add_argument("--url", default="http://127.0.0.1:8000", help="the server's address")
    signed.add_argument(
        "--now", action="store_true", help="send a copy whose times are now (a new order)"
    )

    imported = sub.add_parser(
        "import", help="record a file of past activity (NDJSON, CSV of orders, Shopify bulk JSONL)"
    )
    imported.add_argument("file", type=Path)
    imported.add_argument(
        "--shop", default=None, help="the shop's id (number or global id); default: the only shop"
    )
    imported.add_argument(
        "--format", choices=["ndjson", "csv", "shopify-jsonl"], default=None,
        help="default: from the file's name (.ndjson, .csv; .jsonl by its first line)",
    )

    sweep = sub.add_parser("sweep", help="grant inactivity milestones and expire rewards")
    sweep.add_argument("--as-of", type=_time, default=None, help="ISO 8601 time with an offset (default: now)")
    sweep.add_argument(
        "--dry-run", action="store_true",
        help="write nothing; print what the sweep would grant and expire (needed for a future --as-of)",
    )
    return parser


def _where(url: str) -> str:
    """The database a URL names, without its credentials."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}"


async def _open_database(url: str) -> None:
    try:
        await db.migrate(url)
        await db.connect(url)
    except Exception as error:  # noqa: BLE001 - every driver has its own exceptions
        raise CliError(f"cannot use the database {_where(url)}: {error}") from error


async def _with_db(settings: Settings, work: Callable[[], Awaitable[None]]) -> None:
    await _open_database(settings.database_url)
    try:
        await work()
    finally:
        await db.disconnect()


def _shop_pk(raw: str) -> int:
    from wire.ids import decode

    if raw.isdigit():
        return int(raw)
    pk = decode("Shop", raw)
    if pk is None:
        raise CliError(f"not a shop id: {raw!r}")
    return pk


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        from api.server import serve

        serve(settings, host=args.host, port=args.port, workers=args.workers, demo=args.demo)
    elif args.command == "migrate":
        asyncio.run(_with_db(settings, _nothing))
        print("migrations applied")
    elif args.command == "export-schema":
        from resolvers.schema import schema_sdl

        Path(args.output).write_text(schema_sdl())
        print(f"wrote {args.output}")
    elif args.command == "shop":
        asyncio.run(_with_db(settings, lambda: _create_shop(args)))
    elif args.command == "key":
        asyncio.run(_with_db(settings, lambda: _create_key(args)))
    elif args.command == "sweep":
        asyncio.run(_with_db(settings, lambda: _sweep(args)))
    elif args.command == "import":
        from api.import_command import run_import

        if not args.file.is_file():
            raise CliError(f"no such file: {args.file}")
        outcome: list[int] = []
        asyncio.run(_with_db(settings, lambda: run_import(args.file, args.shop, args.format, outcome)))
        return outcome[0] if outcome else 0
    elif args.command == "sign-webhook":
        from api.signed_webhook import curl_command

        if not args.file.is_file():
            raise CliError(f"no such file: {args.file}")
        print(
            curl_command(
                args.file,
                platform=StorePlatform(args.platform.upper()),
                topic=args.topic,
                domain=args.domain,
                secret=args.secret,
                webhook_id=args.webhook_id,
                base_url=args.url,
                now=args.now,
            )
        )
    return 0


async def _nothing() -> None:
    pass


async def _create_shop(args: argparse.Namespace) -> None:
    from engine.services import keys, shops
    from wire.ids import encode

    shop = await shops.create_shop(args.name, args.currency.upper(), Plan(args.plan), args.timezone)
    key = await keys.create_key(shop, Role.ADMIN, name="cli")
    print(f"shop id: {encode('Shop', shop.id)} ({shop.id})")
    print(f"admin key: {key.secret}")


async def _create_key(args: argparse.Namespace) -> None:
    from engine.services import keys
    from models import Shop

    shop = await Shop.get_or_none(id=_shop_pk(args.shop))
    if shop is None:
        raise CliError(f"no shop with id {args.shop}")
    key = await keys.create_key(shop, Role(args.role), name=args.name)
    print(key.secret)


async def _sweep(args: argparse.Namespace) -> None:
    from engine.services.sweep import run_sweep

    result = await run_sweep(as_of=args.as_of, dry_run=args.dry_run)
    print(result.summary())


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        return _run(args, settings)
    except KeyboardInterrupt:
        if args.command == "import":
            print("milestones: interrupted: what was recorded stays; run the same command again to"
                  " record the rest", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001
        # A command line answers in one line: a refused value (a domain error lists its
        # problems), an unknown shop, an unreachable or misconfigured database all come here.
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"milestones: error: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
