"""Probes, request ids, the JSON request log and Prometheus metrics, through the real app."""

from __future__ import annotations

import asyncio
import json
import logging

from api import health
from api.jsonlog import JsonFormatter
from engine.services import telemetry
from tests.api.test_webhooks import create_endpoint
from tests.builders import credit, gift, make_rule, order, points
from tests.event_support import append_event, subscriber
from tests.metric_samples import sample, samples
from tests.webhook_support import delivering, receiver
from wire import ids


def request_lines(caplog) -> list[dict]:
    formatter = JsonFormatter()
    return [
        json.loads(formatter.format(r)) for r in caplog.records if r.name == "milestones.requests"
    ]


async def test_healthz_answers_while_the_process_is_up(http):
    response = await http.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz_checks_the_database_and_the_migrations(http):
    response = await http.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "migrations": "applied"}


async def test_a_sane_incoming_request_id_is_echoed(shops):
    shop = await shops()
    response = await shop.http.post(
        "/graphql",
        json={"query": "{ shop { name } }"},
        headers={"Authorization": f"Bearer {await shop.key()}", "X-Request-Id": "lb-7f3a.9:2"},
    )
    assert response.headers["x-request-id"] == "lb-7f3a.9:2"


async def test_an_unusable_incoming_request_id_is_replaced(http):
    response = await http.get("/healthz", headers={"X-Request-Id": "bad id\twith spaces" + "x" * 200})
    new_id = response.headers["x-request-id"]
    assert len(new_id) == 32 and new_id.isalnum()


async def test_unexpected_error_quotes_the_request_id_of_the_header_and_the_log(
    shops, monkeypatch, caplog
):
    shop = await shops()

    def broken(type_name: str, pk: int) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(ids, "encode", broken)
    caplog.set_level(logging.INFO)
    response = await shop.post("{ shop { id } }")
    request_id = response.headers["x-request-id"]
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    assert request_id in error["message"] and "boom" not in error["message"]
    [line] = [x for x in request_lines(caplog) if x["request_id"] == request_id]
    assert (line["outcome"], line["operation"], line["shop_id"]) == ("internal", "shop", shop.id)


async def test_each_request_logs_one_json_line_with_operation_shop_and_outcome(shops, caplog):
    shop = await shops()
    caplog.set_level(logging.INFO)
    response = await shop.post("query ShopName { shop { name } }")
    lines = [x for x in request_lines(caplog) if x["request_id"] == response.headers["x-request-id"]]
    assert len(lines) == 1
    line = lines[0]
    assert {k: line[k] for k in ("method", "path", "status", "operation", "shop_id", "outcome")} == {
        "method": "POST",
        "path": "/graphql",
        "status": 200,
        "operation": "ShopName",
        "shop_id": shop.id,
        "outcome": "ok",
    }
    assert line["duration_ms"] >= 0 and line["level"] == "info"


async def test_a_rejected_key_is_never_written_to_the_log(http, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "msk_admin_" + "S3cretValue" * 3
    response = await http.post(
        "/graphql", json={"query": "{ shop { name } }"}, headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 401
    formatter = JsonFormatter()
    written = "\n".join(formatter.format(r) for r in caplog.records)
    [line] = [x for x in request_lines(caplog) if x["request_id"] == response.headers["x-request-id"]]
    assert line["outcome"] == "unauthorized"
    assert "S3cretValue" not in written


def test_the_formatter_scrubs_keys_secrets_and_bearer_tokens_from_messages_and_fields():
    record = logging.makeLogRecord(
        {"msg": "key msk_partner_abc-DEF_123 used", "name": "x", "levelname": "INFO",
         "header": "Bearer tok.en/value==", "detail": {"secret": ["whsec_AbC-9_x"]}}
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "key [redacted] used"
    assert line["header"] == "[redacted]"
    assert line["detail"] == {"secret": ["[redacted]"]}


async def test_metrics_count_requests_by_operation_and_outcome(shops, http):
    shop = await shops()
    ok_before = await sample(http, "milestones_graphql_requests_total", operation="CountMe", outcome="ok")
    seconds_before = await sample(
        http, "milestones_graphql_request_duration_seconds_count", operation="CountMe"
    )
    for _ in range(3):
        await shop.gql("query CountMe { shop { name } }")
    assert await sample(
        http, "milestones_graphql_requests_total", operation="CountMe", outcome="ok"
    ) == ok_before + 3
    assert await sample(
        http, "milestones_graphql_request_duration_seconds_count", operation="CountMe"
    ) == seconds_before + 3


async def test_an_operation_without_a_name_is_labelled_by_its_root_fields(shops, http):
    shop = await shops()
    before = await sample(http, "milestones_graphql_requests_total", operation="shop", outcome="ok")
    await shop.gql("{ shop { name } }")
    assert await sample(
        http, "milestones_graphql_requests_total", operation="shop", outcome="ok"
    ) == before + 1


async def test_a_forbidden_field_counts_as_forbidden(shops, http):
    from engine.core.enums import Role

    shop = await shops()
    labels = {"operation": "Secret", "outcome": "forbidden"}
    before = await sample(http, "milestones_graphql_requests_total", **labels)
    body = await shop.raw("query Secret { shop { widgetSecret } }", role=Role.PARTNER)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await sample(http, "milestones_graphql_requests_total", **labels) == before + 1


ENGINE_SAMPLES = {
    "recorded": ("milestones_activities_recorded_total", {"kind": "SIGNUP"}),
    "duplicates": ("milestones_activity_duplicates_total", {"kind": "SIGNUP"}),
    "rewards": ("milestones_rewards_issued_total", {"kind": "POINTS"}),
    "sweeps": ("milestones_sweep_runs_total", {"outcome": "completed"}),
    "delivered": ("milestones_webhook_deliveries_total", {"outcome": "delivered"}),
    "failed": ("milestones_webhook_deliveries_total", {"outcome": "failed"}),
}


async def test_engine_reports_reach_the_metrics(http):
    before = await samples(http, ENGINE_SAMPLES)
    telemetry.activity_recorded("SIGNUP")
    telemetry.activity_recorded("SIGNUP", duplicate=True)
    telemetry.reward_issued("POINTS")
    telemetry.sweep_finished(0.25, 2)
    telemetry.webhook_attempted(True)
    telemetry.webhook_attempted(False)
    after = await samples(http, ENGINE_SAMPLES)
    assert {k: after[k] - before[k] for k in before} == {
        "recorded": 1, "duplicates": 1, "rewards": 1, "sweeps": 1,
        "delivered": 1, "failed": 1,
    }


ORDER_SAMPLES = {
    "orders": ("milestones_activities_recorded_total", {"kind": "ORDER_PLACED"}),
    "duplicates": ("milestones_activity_duplicates_total", {"kind": "ORDER_PLACED"}),
    "points": ("milestones_rewards_issued_total", {"kind": "POINTS"}),
    "gifts": ("milestones_rewards_issued_total", {"kind": "FREE_GIFT"}),
}


async def test_recording_orders_moves_activity_duplicate_and_reward_counters(shops, http):
    shop = await shops()
    await make_rule(shop, "ORDERS_COUNT", [(1, points(10)), (2, gift())])
    before = await samples(http, ORDER_SAMPLES)
    await order(shop, "c1", order_id="o-1")
    await order(shop, "c1", order_id="o-2")
    assert (await order(shop, "c1", order_id="o-2"))["duplicate"] is True
    after = await samples(http, ORDER_SAMPLES)
    assert {k: after[k] - before[k] for k in before} == {
        "orders": 2, "duplicates": 1, "points": 1, "gifts": 1,
    }


async def gauge_reaches(http, name: str, value: float) -> bool:
    """Whether the gauge shows `value` within a few seconds (the socket's work is concurrent)."""
    for _ in range(300):
        if await sample(http, name) == value:
            return True
        await asyncio.sleep(0.01)
    return False


async def test_open_subscriptions_are_counted_until_they_close(shops, app, http, caplog):
    caplog.set_level(logging.INFO)
    shop = await shops()
    before = await sample(http, "milestones_subscribers_connected")
    async with subscriber(app, await shop.key()):
        assert await gauge_reaches(http, "milestones_subscribers_connected", before + 1)
    assert await gauge_reaches(http, "milestones_subscribers_connected", before)
    for _ in range(300):  # the socket's line is written once the server has closed it
        closed = [x for x in request_lines(caplog) if x["message"] == "websocket closed"]
        if closed:
            break
        await asyncio.sleep(0.01)
    assert [(x["shop_id"], x["close_code"]) for x in closed] == [(shop.id, 1000)]


async def test_webhook_attempts_are_counted_and_a_failure_logs_one_json_line(shops, http, caplog):
    caplog.set_level(logging.INFO)
    shop = await shops()
    labels = {"delivered": {"outcome": "delivered"}, "failed": {"outcome": "failed"}}
    spec = {k: ("milestones_webhook_deliveries_total", v) for k, v in labels.items()}
    before = await samples(http, spec)
    async with receiver(fail_first=1) as target:
        created = await create_endpoint(shop, target.url)
        await append_event(shop.id, n=0)
        async with delivering():
            await target.until(2)
    after = await samples(http, spec)
    assert target.answered == [500, 200]
    # Other tests' endpoints may be retried meanwhile: at least this endpoint's two attempts.
    assert after["delivered"] - before["delivered"] >= 1
    assert after["failed"] - before["failed"] >= 1
    formatter = JsonFormatter()
    endpoint_id = int(created["webhookEndpoint"]["id"].rsplit("/", 1)[1])
    lines = [json.loads(formatter.format(r)) for r in caplog.records if r.name == "milestones.webhooks"]
    mine = [x for x in lines if x.get("endpoint_id") == endpoint_id]
    assert [(x["message"], x["level"], x["status_code"], x["error"]) for x in mine] == [
        ("webhook delivery failed", "warning", 500, "HTTP 500")
    ]
    assert created["secret"] not in "\n".join(formatter.format(r) for r in caplog.records)


async def test_rewards_granted_at_activation_from_past_activity_are_counted(shops, http):
    shop = await shops()
    await order(shop, "early", order_id="e-1")
    before = await sample(http, "milestones_rewards_issued_total", kind="STORE_CREDIT")
    await make_rule(shop, "ORDERS_COUNT", [(1, credit("5.00"))], past=True)
    assert await sample(http, "milestones_rewards_issued_total", kind="STORE_CREDIT") == before + 1


async def test_readyz_answers_503_with_the_pending_migrations(http, monkeypatch):
    async def behind(apps_config):
        return ["models.0002_next"]

    monkeypatch.setattr(health, "pending_migrations", behind)
    response = await http.get("/readyz")
    assert (response.status_code, response.json()) == (
        503, {"status": "unavailable", "database": "ok", "pendingMigrations": ["models.0002_next"]}
    )


async def test_readyz_answers_503_when_the_database_does_not_answer(http, monkeypatch):
    async def unreachable():
        return False

    monkeypatch.setattr(health, "database_reachable", unreachable)
    response = await http.get("/readyz")
    assert (response.status_code, response.json()) == (
        503, {"status": "unavailable", "database": "unreachable"}
    )
    assert (await http.get("/healthz")).status_code == 200
