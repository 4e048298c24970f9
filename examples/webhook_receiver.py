"""Receive Milestones webhooks: check each signature, print each event once.

    python examples/webhook_receiver.py --port 9000 --secret whsec_...

Register it with `createWebhookEndpoint(url: "http://127.0.0.1:9000/hooks")`, which returns the
secret. Deliveries are at-least-once, so the receiver skips an event id it has already seen.
Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 300


def verify(secret: str, header: str, body: bytes, now: float | None = None) -> bool:
    """`Milestones-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, recent."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - timestamp) > TOLERANCE_SECONDS:
        return False
    signed = f"{timestamp}.".encode() + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


def handler(secret: str):
    seen: set[str] = set()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if not verify(secret, self.headers.get("Milestones-Signature", ""), body):
                self.send_response(400)
                self.end_headers()
                return
            event = json.loads(body)
            if event["id"] not in seen:
                seen.add(event["id"])
                print(json.dumps(event), flush=True)
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args) -> None:
            pass

    return Receiver


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--secret", default=os.environ.get("MILESTONES_WEBHOOK_SECRET"))
    args = parser.parse_args()
    if not args.secret:
        parser.error("give --secret or set MILESTONES_WEBHOOK_SECRET")
    server = ThreadingHTTPServer((args.host, args.port), handler(args.secret))
    print(f"listening on http://{args.host}:{args.port}/hooks", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
