"""`milestones serve --demo` (what `tasks.py demo` runs): a busy port refused in one line, one
ADMIN key named "demo" however often it starts, and logs a person can read in a terminal."""

from __future__ import annotations

import io
import json
import logging
import os
import pty
import select
import socket
import subprocess
import time
from pathlib import Path

from api.demo import DEMO_KEY_NAME, rotate_demo_key
from api.jsonlog import JsonFormatter
from api.log_format import TextFormatter, formatter_for
from engine.services.keys import authenticate
from models import ApiKey
from tests.server_process import COMMAND, free_port


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite://{tmp_path}/demo.sqlite3"


def test_the_demo_refuses_a_busy_port_in_one_line_before_printing_a_key(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [COMMAND, "serve", "--demo", "--port", str(port)],
            cwd=tmp_path, env={**os.environ, "DATABASE_URL": sqlite_url(tmp_path)},
            capture_output=True, text=True, timeout=60,
        )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"milestones: error: port {port} on 127.0.0.1 is in use (is another server running?); "
        "stop it or choose another port with --port\n"
    )


async def test_each_demo_start_replaces_its_admin_key_instead_of_adding_one(shops):
    shop = await shops()
    first = await rotate_demo_key(shop.shop)
    second = await rotate_demo_key(shop.shop)
    live = await ApiKey.filter(shop_id=shop.id, name=DEMO_KEY_NAME, revoked_at=None)
    assert [key.role for key in live] == ["ADMIN"]
    assert await authenticate(first) is None
    assert (await authenticate(second)).id == live[0].id


def read_until(fd: int, text: str, seconds: float = 60) -> str:
    seen = b""
    deadline = time.monotonic() + seconds
    while text.encode() not in seen:
        assert time.monotonic() < deadline, seen.decode(errors="replace")
        if select.select([fd], [], [], 0.5)[0]:
            try:
                seen += os.read(fd, 65536)
            except OSError:  # the other end closed
                break
    return seen.decode(errors="replace")


def test_the_demo_in_a_terminal_prints_its_key_and_readable_log_lines(tmp_path):
    port = free_port()
    terminal, server_side = pty.openpty()
    process = subprocess.Popen(
        [COMMAND, "serve", "--demo", "--port", str(port)],
        cwd=tmp_path, env={**os.environ, "DATABASE_URL": sqlite_url(tmp_path), "LOG_FORMAT": ""},
        stdout=server_side, stderr=server_side,
    )
    os.close(server_side)
    try:
        output = read_until(terminal, "Application startup complete.")
    finally:
        process.terminate()
        process.wait(30)
        os.close(terminal)
    assert "Demo shop ready (plan ADVANCED, currency USD, three active rules)." in output
    assert "ADMIN key: msk_admin_" in output
    assert f"GraphiQL:  http://127.0.0.1:{port}/graphql" in output
    started = next(line for line in output.splitlines() if "Application startup complete." in line)
    assert " INFO    uvicorn.error  Application startup complete." in started
    assert not started.lstrip().startswith("{")


def a_record(message: str, **extra) -> logging.LogRecord:
    record = logging.makeLogRecord({"name": "milestones.requests", "levelname": "INFO", "msg": message})
    record.__dict__.update(extra)
    return record


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_logs_are_text_in_a_terminal_and_json_in_a_file_or_when_asked():
    assert formatter_for("auto", Terminal()) is TextFormatter
    assert formatter_for("auto", io.StringIO()) is JsonFormatter
    assert formatter_for("json", Terminal()) is JsonFormatter
    assert formatter_for("text", io.StringIO()) is TextFormatter


def test_a_text_log_line_shows_the_fields_and_scrubs_secrets():
    line = TextFormatter().format(a_record("request", status=200, key="msk_admin_abcdef123"))
    assert line.endswith(" INFO    milestones.requests  request  status=200 key=[redacted]")
    assert json.loads(JsonFormatter().format(a_record("request", status=200)))["status"] == 200
