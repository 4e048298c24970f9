"""Schemathesis against the real server: every query and mutation of the schema with generated
arguments and selections, hostile scalars included, over HTTP to `milestones serve`.

No answer may be a 5xx, carry a masked internal error, or show a traceback; at the end, the
server's log must hold no unexpected error. Bounded: FUZZ_EXAMPLES cases per operation.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes

from api import db
from resolvers.schema import schema as app_schema
from tests.reporting import report

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
BIN = Path(sys.executable).parent

numbers = st.one_of(
    # Past Decimal's exponent range, not numbers, too precise, too long, malformed.
    st.sampled_from(["1e999999999", "-1e999999999", "NaN", "-Infinity", "1e-999999999"]),
    st.sampled_from(["-0", "0.001", "9" * 40, "12..5", ""]),
    st.decimals(min_value=-1000, max_value=1000, places=2).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)
moments = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC))
    .map(datetime.isoformat),
    st.sampled_from(["2026-13-45T25:61:00", "yesterday", "", "2026-01-01T00:00:00"]),
)
schemathesis.graphql.scalar("Decimal", numbers.map(nodes.String))
schemathesis.graphql.scalar("DateTime", st.one_of(moments, st.text()).map(nodes.String))
schemathesis.graphql.scalar("JSON", st.text().map(nodes.String))

SCHEMA = schemathesis.graphql.from_dict(app_schema.introspect())
CASES: Counter[str] = Counter()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(env: dict, *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "milestones"), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def server(database):
    """`milestones serve` on a database of its own (SQLite) or the suite's (PostgreSQL)."""
    directory = tempfile.mkdtemp(prefix="milestones-fuzz-")
    url = database if db.is_postgres(database) else f"sqlite://{directory}/fuzz.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SWEEP_INTERVAL_SECONDS": "0",
        "RATE_LIMIT_PER_SECOND": "0",
        "LOG_LEVEL": "INFO",
    }
    _cli(env, "migrate")
    key = _cli(env, "shop", "create", "--name", "Fuzz", "--currency", "USD", "--plan", "ADVANCED")
    key = key.split("admin key: ")[1].strip()
    port = _free_port()
    log = Path(directory) / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(BIN / "milestones"), "serve", "--port", str(port)], env=env, stdout=out, stderr=out
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process, log)
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {key}"
            yield {"url": f"{base}/graphql", "session": session, "log": log}
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(directory, ignore_errors=True)


def _wait_until_up(base: str, process: subprocess.Popen, log: Path) -> None:
    for _ in range(200):
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the server did not come up:\n{log.read_text()}")


@SCHEMA.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=False,
    suppress_health_check=list(HealthCheck),
)
def test_no_generated_operation_breaks_the_server(case, server):
    response = case.call(base_url=server["url"], session=server["session"])
    CASES[case.operation.label] += 1
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text
    if response.status_code == 200:
        codes = {
            (e.get("extensions") or {}).get("code") for e in response.json().get("errors") or []
        }
        assert "INTERNAL_SERVER_ERROR" not in codes, response.text


def test_server_logged_no_unexpected_error(server, pytestconfig):
    text = server["log"].read_text()
    unexpected = [
        line for line in text.splitlines()
        if "unexpected error" in line or "Exception in ASGI application" in line
    ]
    report(pytestconfig, f"api fuzz: {sum(CASES.values())} cases over {len(CASES)} operations")
    assert CASES, "the fuzz run made no request"
    assert unexpected == [], "\n".join(unexpected[:5])
