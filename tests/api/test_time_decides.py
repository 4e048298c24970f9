"""What the docs promise about time and sameness: a future sweep only as a dry run, rules that
count by when activity occurred (never by when it arrived), and a second signup with other
data refused like any other idempotency conflict."""

from __future__ import annotations

from datetime import timedelta

from engine.core.enums import Role
from engine.services import clock
from tests.builders import customer, fixed, make_rule, order, points, progress_of, signup
from tests.isolation_support import snapshot

SWEEP = """mutation($asOf: DateTime, $dryRun: Boolean) {
  runInactivitySweep(asOf: $asOf, dryRun: $dryRun) {
    asOf dryRun granted expired customersScanned
    byRule { rule { name } customers granted expired }
    userErrors { field code message } } }"""


async def test_a_future_sweep_is_refused_unless_a_dry_run_which_writes_nothing(shops):
    shop = await shops()
    await make_rule(shop, "ORDERS_COUNT", [(1, fixed("5.00"))], rewardExpiryDays=1)
    await make_rule(shop, "INACTIVITY", [(30, points(10))])
    code = (await order(shop, "ann"))["issuedRewards"][0]
    ahead = (clock.now() + timedelta(days=40)).isoformat()
    before = await snapshot(shop.id)

    refused = (await shop.gql(SWEEP, {"asOf": ahead}))["runInactivitySweep"]
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [(["asOf"], "INVALID")]
    assert await snapshot(shop.id) == before

    dry = (await shop.gql(SWEEP, {"asOf": ahead, "dryRun": True}))["runInactivitySweep"]
    assert dry["userErrors"] == [] and dry["dryRun"] is True
    assert (dry["granted"], dry["expired"], dry["customersScanned"]) == (1, 1, 1)
    assert sorted((r["rule"]["name"], r["customers"], r["granted"], r["expired"]) for r in dry["byRule"]) == [
        ("INACTIVITY rule", 1, 1, 0), ("ORDERS_COUNT rule", 0, 0, 1),
    ]
    assert await snapshot(shop.id) == before
    data = await customer(shop, "ann")
    assert [(r["code"], r["status"]) for r in data["rewards"]["nodes"]] == [(code["code"], "ISSUED")]


async def test_the_command_line_sweep_refuses_a_future_time_without_dry_run(tmp_path, database_url):
    import subprocess
    import sys
    from pathlib import Path

    command = str(Path(sys.executable).with_name("milestones"))
    ahead = (clock.now() + timedelta(days=3)).isoformat()
    env = {"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"}
    refused = subprocess.run([command, "sweep", "--as-of", ahead], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.startswith("milestones: error: asOf is in the future") and "dryRun" in refused.stderr
    dry = subprocess.run([command, "sweep", "--as-of", ahead, "--dry-run"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "(dry run: nothing written)" in dry.stdout


async def test_without_count_past_activity_an_order_placed_before_activation_never_counts(shops):
    shop = await shops()
    placed = clock.now() - timedelta(hours=1)
    rule = await make_rule(shop, "ORDERS_COUNT", [(1, points(10))])
    # The store's webhook for an order placed before the rule went live arrives late.
    late = await order(shop, "bo", occurredAt=placed.isoformat())
    assert late["issuedRewards"] == [] and late["duplicate"] is False
    assert progress_of(await customer(shop, "bo"), rule["id"])["value"] == "0"
    now = await order(shop, "bo")
    assert [r["milestone"]["threshold"] for r in now["issuedRewards"]] == ["1"]


async def test_with_count_past_activity_an_order_placed_before_activation_counts_whenever_it_arrives(shops):
    shop = await shops()
    placed = clock.now() - timedelta(days=10)
    rule = await make_rule(shop, "ORDERS_COUNT", [(2, points(10))], past=True)
    await order(shop, "cy", occurredAt=placed.isoformat())
    second = await order(shop, "cy", occurredAt=(placed + timedelta(days=1)).isoformat())
    assert [r["milestone"]["threshold"] for r in second["issuedRewards"]] == ["2"]
    assert progress_of(await customer(shop, "cy"), rule["id"])["value"] == "2"


async def test_an_order_placed_while_a_rule_was_paused_never_counts(shops):
    from tests.rule_calls import ACTIVATE, PAUSE, call

    shop = await shops()
    rule = await make_rule(shop, "ORDERS_COUNT", [(1, points(10))])
    assert (await call(shop, PAUSE, id=rule["id"]))["userErrors"] == []
    during = clock.now()
    assert (await call(shop, ACTIVATE, id=rule["id"]))["userErrors"] == []
    late = await order(shop, "dee", occurredAt=during.isoformat())
    assert late["issuedRewards"] == []
    assert progress_of(await customer(shop, "dee"), rule["id"])["value"] == "0"


async def test_a_second_signup_with_another_email_is_an_idempotency_conflict(shops):
    shop = await shops()
    first = await signup(shop, "eve", email="eve@first.example")
    assert first["userErrors"] == []
    again = await signup(shop, "eve", email="eve@first.example")
    assert again["duplicate"] is True
    other = await signup(shop, "eve", email="eve@other.example")
    assert [(e["field"], e["code"]) for e in other["userErrors"]] == [
        (["input", "customerExternalId"], "IDEMPOTENCY_CONFLICT")
    ]
    data = await shop.gql('{ customer(externalId: "eve") { email } }', role=Role.ADMIN)
    assert data["customer"]["email"] == "eve@first.example"
