"""Schemathesis against the real server: every query and mutation of the schema with generated
arguments and selections, hostile scalars included, over HTTP to `milestones serve`.

No answer may be a 5xx, carry a masked internal error, or show a traceback; at the end, the
server's log must hold no unexpected error. Bounded: FUZZ_EXAMPLES cases per operation.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings

from api import db
from resolvers.schema import schema as app_schema
from tests import fuzz_scalars  # noqa: F401 - registers the strategies of the custom scalars
from tests.reporting import report

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
# Cases per operation for the command-line run (its own default is 100: about 20 s here).
CLI_EXAMPLES = int(os.environ.get("FUZZ_CLI_EXAMPLES", "30"))
BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
# Checks of schemathesis that report the server's own faults: 5xx, errors of resolvers,
# answers that break the published schema. A "client error" is the server refusing a value
# the generator could not know was out of range (a `first` of -5): the API doing its job.
SERVER_FAULT_CHECKS = {"not_a_server_error", "response_schema_conformance"}

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
            yield {"url": f"{base}/graphql", "session": session, "log": log, "key": key}
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


def test_schemathesis_run_with_its_default_settings_finds_no_server_fault(server, tmp_path, pytestconfig):
    """`st run` as a newcomer would point it at the server: its default checks and phases,
    the scalars' strategies as a hooks module, a bounded number of cases per operation."""
    events = tmp_path / "run.ndjson"
    done = subprocess.run(
        [
            str(BIN / "st"), "run", server["url"], "--no-color",
            "-H", f"Authorization: Bearer {server['key']}",
            "--max-examples", str(CLI_EXAMPLES),
            "--report", "ndjson", "--report-ndjson-path", str(events),
        ],
        env={**os.environ, "SCHEMATHESIS_HOOKS": "tests.fuzz_scalars", "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,  # where it keeps its cache of examples
        capture_output=True, text=True, timeout=600, check=False,
    )
    outcomes: Counter[tuple[str, str]] = Counter()
    faults = []
    for line in events.read_text().splitlines():
        event = json.loads(line)
        if "ScenarioFinished" not in event:
            continue
        recorder = event["ScenarioFinished"]["recorder"]
        for checks in (recorder.get("checks") or {}).values():
            for check in checks:
                outcomes[(check["name"], check["status"])] += 1
                if check["name"] in SERVER_FAULT_CHECKS and check["status"] != "success":
                    faults.append((recorder["label"], check["failure_info"]["failure"]["message"]))
    cases = outcomes[("not_a_server_error", "success")] + outcomes[("not_a_server_error", "failure")]
    refused = outcomes[("positive_data_acceptance", "failure")]
    report(pytestconfig, f"schemathesis run: {cases} cases, {len(faults)} server faults, {refused} values refused as out of range")
    assert cases > 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert faults == [], faults[:5]


def test_server_logged_no_unexpected_error(server, pytestconfig):
    text = server["log"].read_text()
    unexpected = [
        line for line in text.splitlines()
        if "unexpected error" in line or "Exception in ASGI application" in line
    ]
    report(pytestconfig, f"api fuzz: {sum(CASES.values())} cases over {len(CASES)} operations")
    assert CASES, "the fuzz run made no request"
    assert unexpected == [], "\n".join(unexpected[:5])
