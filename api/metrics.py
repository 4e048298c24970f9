"""Prometheus metrics, and the small functions other layers call to move them.

With several worker processes, `PROMETHEUS_MULTIPROC_DIR` names a directory the workers share
(`milestones serve --workers N` sets one up); `/metrics` then sums every live worker, so one
scrape of any worker sees the whole server. The variable must be set before this module is first
imported: prometheus-client chooses its storage at import time.

The functions below are what `engine/telemetry.py` calls: the app installs this module as the
engine's observer, so the engine reports without importing Prometheus.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import Response

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter(
    "milestones_graphql_requests_total",
    "GraphQL requests over HTTP, by operation and outcome.",
    ["operation", "outcome"],
)
REQUEST_SECONDS = Histogram(
    "milestones_graphql_request_duration_seconds",
    "Time to answer a GraphQL request over HTTP, by operation.",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
ACTIVITIES = Counter(
    "milestones_activities_recorded_total",
    "Activities recorded (duplicates excluded), by kind.",
    ["kind"],
)
DUPLICATES = Counter(
    "milestones_activity_duplicates_total",
    "Activities sent again and absorbed without change, by kind.",
    ["kind"],
)
REWARDS = Counter(
    "milestones_rewards_issued_total",
    "Rewards issued, by reward kind.",
    ["kind"],
)
SWEEP_RUNS = Counter(
    "milestones_sweep_runs_total",
    "Inactivity sweep runs, by outcome.",
    ["outcome"],
)
SWEEP_SECONDS = Histogram(
    "milestones_sweep_duration_seconds",
    "Duration of a sweep run.",
    buckets=(0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0),
)
SWEEP_GRANTED = Counter(
    "milestones_sweep_granted_total",
    "Milestones granted by the sweep.",
)
SUBSCRIBERS = Gauge(
    "milestones_subscribers_connected",
    "Open event subscriptions.",
    multiprocess_mode="livesum",
)
RETRIES = Counter(
    "milestones_transaction_retries_total",
    "Transactions rolled back after meeting a concurrent one and run again, by unit of work and"
    " kind of conflict (deadlock, serialization, unique, locked, conflict).",
    ["work", "kind"],
)
SUBSCRIBERS_TOO_SLOW = Counter(
    "milestones_subscribers_too_slow_total",
    "Subscriptions dropped, their socket closed with code 4008, for falling too far behind.",
)
WEBHOOK_DELIVERIES = Counter(
    "milestones_webhook_deliveries_total",
    "Webhook delivery attempts, by outcome (delivered or failed).",
    ["outcome"],
)


def observe_request(operation: str, outcome: str, seconds: float) -> None:
    REQUESTS.labels(operation, outcome).inc()
    REQUEST_SECONDS.labels(operation).observe(seconds)


def observe_activity(kind: str, duplicate: bool) -> None:
    (DUPLICATES if duplicate else ACTIVITIES).labels(kind).inc()


def observe_reward_issued(kind: str) -> None:
    REWARDS.labels(kind).inc()


def observe_sweep(seconds: float, granted: int, *, failed: bool = False) -> None:
    SWEEP_RUNS.labels("failed" if failed else "completed").inc()
    SWEEP_SECONDS.observe(seconds)
    if granted:
        SWEEP_GRANTED.inc(granted)


def subscriber_connected() -> None:
    SUBSCRIBERS.inc()


def subscriber_disconnected() -> None:
    SUBSCRIBERS.dec()


def observe_retry(work: str, kind: str) -> None:
    RETRIES.labels(work, kind).inc()


def subscriber_too_slow() -> None:
    SUBSCRIBERS_TOO_SLOW.inc()


def observe_webhook(success: bool) -> None:
    WEBHOOK_DELIVERIES.labels("delivered" if success else "failed").inc()


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def exposition() -> bytes:
    """Every metric in the text format: this process's, or all live workers' summed."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()


def process_exited() -> None:
    """Drop this worker's live gauges, so a stopped worker no longer counts its subscribers."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(os.getpid())


async def metrics_endpoint(request: Request) -> Response:
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)
