"""Follow a shop's reward events: resume from the saved cursor, print each event, save its cursor.

    python examples/partner_subscriber.py --url ws://127.0.0.1:8000/graphql \
        --key msk_partner_... --cursor-file reward-events.cursor

With no saved cursor it starts with the events committed from now on. Stopped or cut off, it
reconnects from the saved cursor: no event is missed and none is printed twice.
Needs `pip install websockets`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path

import websockets

SUBSCRIPTION = """
subscription Follow($after: String) {
  rewardEvents(after: $after) { cursor data }
}
"""


class Rejected(Exception):
    """The server refused the key or the subscription: retrying would not help."""


def load_cursor(path: Path) -> str | None:
    if not path.exists():
        return None
    return path.read_text().strip() or None


def save_cursor(path: Path, cursor: str) -> None:
    # Written aside and renamed, so a crash never leaves half a cursor.
    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_text(cursor)
    os.replace(partial, path)


async def follow(url: str, key: str, cursor_file: Path, limit: int | None) -> int:
    """Print events until `limit` were printed (or forever); returns how many."""
    printed = 0
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}}
        await ws.send(json.dumps(init))
        if json.loads(await ws.recv())["type"] != "connection_ack":
            raise Rejected("no connection_ack")
        variables = {"after": load_cursor(cursor_file)}
        payload = {"query": SUBSCRIPTION, "variables": variables}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        async for raw in ws:
            message = json.loads(raw)
            if message["type"] == "ping":
                await ws.send(json.dumps({"type": "pong"}))
            elif message["type"] == "next":
                if message["payload"].get("errors"):
                    raise Rejected(message["payload"]["errors"])
                event = message["payload"]["data"]["rewardEvents"]
                print(json.dumps(event["data"]), flush=True)
                save_cursor(cursor_file, event["cursor"])
                printed += 1
                if limit is not None and printed >= limit:
                    return printed
            elif message["type"] in ("error", "complete"):
                raise Rejected(message.get("payload"))
    return printed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="ws://127.0.0.1:8000/graphql")
    parser.add_argument("--key", default=os.environ.get("MILESTONES_KEY"), help="a PARTNER key")
    parser.add_argument("--cursor-file", type=Path, default=Path("reward-events.cursor"))
    parser.add_argument("--count", type=int, default=None, help="stop after this many events")
    args = parser.parse_args()
    if not args.key:
        parser.error("give --key or set MILESTONES_KEY")
    remaining = args.count
    while remaining is None or remaining > 0:
        try:
            printed = await follow(args.url, args.key, args.cursor_file, remaining)
            remaining = None if remaining is None else remaining - printed
        except websockets.ConnectionClosedError as closed:
            if closed.rcvd and closed.rcvd.code in (4401, 4403):
                raise SystemExit(f"key refused ({closed.rcvd.code})") from None
            await asyncio.sleep(1)
        except OSError:
            await asyncio.sleep(1)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except Rejected as error:
        raise SystemExit(f"subscription refused: {error}") from None
    except KeyboardInterrupt:
        pass
