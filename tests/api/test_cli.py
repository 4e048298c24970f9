"""The `milestones` command line, run as a process against a SQLite file of its own."""

from __future__ import annotations

import os
import re
import select
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from resolvers.schema import schema_sdl

COMMAND = str(Path(sys.executable).with_name("milestones"))
KEY = re.compile(r"msk_(admin|partner|store)_[A-Za-z0-9_-]{43}")


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path


def run(workdir: Path, *args: str, database_url: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url or f"sqlite://{workdir}/cli.sqlite3"}
    return subprocess.run(
        [COMMAND, *args], cwd=workdir, env=env, capture_output=True, text=True, timeout=60
    )


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("milestones"), lines[0]
    for fragment in fragments:
        assert fragment in lines[0]


def shop_count(workdir: Path) -> int:
    with sqlite3.connect(workdir / "cli.sqlite3") as conn:
        return conn.execute("SELECT count(*) FROM shops").fetchone()[0]


def test_shop_create_prints_the_shop_id_and_an_admin_key(workdir):
    result = run(
        workdir, "shop", "create", "--name", "Acme", "--currency", "eur", "--plan", "ENTERPRISE"
    )
    assert result.returncode == 0, result.stderr
    shop_line, key_line = result.stdout.splitlines()
    assert shop_line == "shop id: gid://milestones/Shop/1 (1)"
    assert KEY.fullmatch(key_line.removeprefix("admin key: "))
    with sqlite3.connect(workdir / "cli.sqlite3") as conn:
        assert conn.execute("SELECT name, currency, plan FROM shops").fetchall() == [
            ("Acme", "EUR", "ENTERPRISE")
        ]


def test_key_create_takes_the_number_or_the_global_id(workdir):
    run(workdir, "shop", "create", "--name", "Acme", "--currency", "USD")
    by_number = run(workdir, "key", "create", "--shop", "1", "--role", "PARTNER")
    gid = "gid://milestones/Shop/1"
    by_gid = run(workdir, "key", "create", "--shop", gid, "--role", "STOREFRONT")
    assert by_number.returncode == by_gid.returncode == 0
    assert re.fullmatch(r"msk_partner_\S{43}\n", by_number.stdout)
    assert re.fullmatch(r"msk_store_\S{43}\n", by_gid.stdout)


def test_an_unknown_currency_is_one_line_and_creates_nothing(workdir):
    run(workdir, "migrate")
    result = run(workdir, "shop", "create", "--name", "Acme", "--currency", "XYZ")
    assert_one_line_error(result, "'XYZ' is not an ISO 4217 currency code")
    assert shop_count(workdir) == 0


BAD_ARGUMENTS = {
    "unknown plan": (
        ["shop", "create", "--name", "A", "--currency", "USD", "--plan", "GOLD"], ["--plan", "GOLD"]
    ),
    "unknown role": (["key", "create", "--shop", "1", "--role", "OWNER"], ["--role", "OWNER"]),
    "bad sweep time": (
        ["sweep", "--as-of", "yesterday"], ["--as-of", "not an ISO 8601 time: 'yesterday'"]
    ),
    "sweep time outside the calendar": (
        ["sweep", "--as-of", "0001-01-01T00:00:00+14:00"], ["--as-of", "outside the years 1 to 9999"]
    ),
    "port out of range": (["serve", "--port", "99999"], ["--port", "from 0 to 65535"]),
    "no workers": (["serve", "--workers", "0"], ["--workers"]),
    "missing shop name": (["shop", "create", "--currency", "USD"], ["--name"]),
    "no command": ([], ["required"]),
    "unknown command": (["launch"], ["'launch'"]),
}


@pytest.mark.parametrize("args, fragments", BAD_ARGUMENTS.values(), ids=BAD_ARGUMENTS.keys())
def test_bad_arguments_are_one_line_with_exit_code_2(workdir, args, fragments):
    result = run(workdir, *args)
    assert_one_line_error(result, *fragments)
    assert result.returncode == 2
    assert not (workdir / "cli.sqlite3").exists()


@pytest.mark.parametrize("shop", ["999", "gid://milestones/Shop/999", "acme"])
def test_an_unknown_shop_is_one_line(workdir, shop):
    result = run(workdir, "key", "create", "--shop", shop, "--role", "ADMIN")
    assert_one_line_error(result, shop)


def test_sweep_reads_a_time_with_its_offset_and_refuses_one_without(workdir):
    result = run(workdir, "sweep", "--as-of", "2026-01-01T02:00:00+02:00")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("sweep as of 2026-01-01T00:00:00+00:00:")
    naive = run(workdir, "sweep", "--as-of", "2026-01-01T00:00:00")
    assert naive.returncode == 2 and "give the time's offset" in naive.stderr


@pytest.mark.parametrize(
    "url, fragment",
    [
        ("postgres://postgres:secret@127.0.0.1:1/nowhere", "postgres://127.0.0.1:1/nowhere"),
        ("mysql://root@localhost/shop", "unsupported DATABASE_URL scheme: 'mysql'"),
        ("nonsense", "unsupported DATABASE_URL scheme"),
    ],
)
def test_an_unusable_database_is_one_line_without_credentials(workdir, url, fragment):
    result = run(workdir, "shop", "create", "--name", "A", "--currency", "USD", database_url=url)
    assert_one_line_error(result, "cannot use the database", fragment)
    assert "secret" not in result.stderr


def test_migrate_can_run_twice(workdir):
    assert run(workdir, "migrate").stdout == "migrations applied\n"
    again = run(workdir, "migrate")
    assert (again.returncode, again.stdout) == (0, "migrations applied\n")


def test_export_schema_writes_the_served_schema(workdir):
    result = run(workdir, "export-schema", "--output", "out.graphql")
    assert (result.returncode, result.stdout) == (0, "wrote out.graphql\n")
    assert (workdir / "out.graphql").read_text() == schema_sdl()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_admin_key(process: subprocess.Popen, deadline: float) -> str:
    buffer = ""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.2)
        if ready:
            chunk = os.read(process.stdout.fileno(), 4096).decode()
            assert chunk, f"server exited: {process.stderr.read().decode()}"
            buffer += chunk
            found = re.search(r"ADMIN key: (\S+)", buffer)
            if found:
                return found.group(1)
    raise AssertionError(f"no key printed: {buffer!r}")


def demo_rules(workdir: Path) -> tuple[str, list[str]]:
    """Serve --demo once: the printed key and the names of the rules it can list."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite://{workdir}/cli.sqlite3"}
    process = subprocess.Popen(
        [COMMAND, "serve", "--demo", "--host", "127.0.0.1", "--port", str(port)],
        cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        key = read_admin_key(process, deadline)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False) as client:
            while True:
                try:
                    client.get("/healthz")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "server did not start"
                    time.sleep(0.1)
            response = client.post(
                "/graphql",
                json={"query": "{ milestoneRules { totalCount nodes { name status } } }"},
                headers={"Authorization": f"Bearer {key}"},
            )
        rules = response.json()["data"]["milestoneRules"]
        assert rules["totalCount"] == len(rules["nodes"])
        assert {n["status"] for n in rules["nodes"]} == {"ACTIVE"}
        return key, [n["name"] for n in rules["nodes"]]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()
        process.stderr.close()


def test_serve_demo_creates_the_demo_shop_once_and_a_fresh_key_each_time(workdir):
    first_key, first_rules = demo_rules(workdir)
    second_key, second_rules = demo_rules(workdir)
    assert first_rules == second_rules == ["Order ladder", "Big spender", "Welcome journey"]
    assert first_key != second_key
    assert KEY.fullmatch(first_key) and KEY.fullmatch(second_key)
    assert shop_count(workdir) == 1
