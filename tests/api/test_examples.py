"""The partner examples run against a real server: the subscriber resumes from its saved
cursor, and the webhook receiver prints each signed delivery and refuses a forged one."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import httpx

from engine.core.enums import Role
from tests.builders import make_rule, order, points
from tests.server_process import free_port, serving
from wire.ids import encode_cursor

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
CREATE_ENDPOINT = """
mutation($url: String!) { createWebhookEndpoint(url: $url) { secret userErrors { code } } }
"""
RECORD_ORDER = """
mutation($input: RecordOrderInput!) { recordOrder(input: $input) { userErrors { code } } }
"""


async def record_order(client: httpx.AsyncClient, key: str, order_id: str) -> None:
    variables = {
        "input": {
            "customerExternalId": "dana",
            "orderId": order_id,
            "total": "5.00",
            "currency": "USD",
        }
    }
    response = await client.post(
        "/graphql",
        json={"query": RECORD_ORDER, "variables": variables},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.json()["data"]["recordOrder"]["userErrors"] == []


async def run_example(*args: str) -> list[dict]:
    """Run an example to completion; its output lines as JSON."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, *args, stdout=subprocess.PIPE, cwd=ROOT
    )
    out, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0
    return [json.loads(line) for line in out.decode().splitlines()]


async def test_the_example_subscriber_prints_events_after_its_saved_cursor_and_saves_the_last(
    shops, database, tmp_path
):
    shop = await shops()
    await make_rule(shop, "ORDERS_COUNT", [(n, points(n)) for n in range(1, 10)])
    key = await shop.key(Role.PARTNER)
    first = (await order(shop, "dana"))["issuedRewards"][0]["id"]
    cursor_file = tmp_path / "cursor"
    cursor_file.write_text(encode_cursor(1))
    await order(shop, "dana")
    with serving(database, tmp_path, SWEEP_INTERVAL_SECONDS="0") as server:
        await server.until_ready()
        url = server.url
        subscriber = [
            "examples/partner_subscriber.py",
            "--url",
            url.replace("http", "ws") + "/graphql",
            "--key",
            key,
            "--cursor-file",
            str(cursor_file),
        ]
        running = asyncio.create_task(run_example(*subscriber, "--count", "3"))
        async with httpx.AsyncClient(base_url=url) as client:
            for n in (3, 4):
                await record_order(client, key, f"dana-{n}")
            printed = await running
            await record_order(client, key, "dana-5")
            resumed = await run_example(*subscriber, "--count", "1")
    assert [e["milestone"]["threshold"] for e in printed] == ["2", "3", "4"]
    assert first not in [e["reward"]["id"] for e in printed]
    assert [e["milestone"]["threshold"] for e in resumed] == ["5"]
    assert cursor_file.read_text() == resumed[0]["cursor"] == encode_cursor(5)


async def test_the_example_webhook_receiver_prints_signed_deliveries_and_refuses_forgeries(
    shops, database, tmp_path
):
    shop = await shops()
    await make_rule(shop, "ORDERS_COUNT", [(n, points(n)) for n in range(1, 10)])
    admin = await shop.key(Role.ADMIN)
    port = free_port()
    hooks = f"http://127.0.0.1:{port}/hooks"
    created = await shop.gql(CREATE_ENDPOINT, {"url": hooks})
    secret = created["createWebhookEndpoint"]["secret"]
    receiver = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLES / "webhook_receiver.py"),
        "--port",
        str(port),
        "--secret",
        secret,
        stdout=subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        assert (await receiver.stdout.readline()).startswith(b"listening on")
        async with httpx.AsyncClient() as client:
            forged = await client.post(
                hooks, content=b"{}", headers={"Milestones-Signature": "t=1,v1=00"}
            )
            assert forged.status_code == 400
        env = {"WEBHOOK_POLL_SECONDS": "0.2", "WEBHOOK_RETRY_BASE_SECONDS": "0.2"}
        with serving(database, tmp_path, SWEEP_INTERVAL_SECONDS="0", **env) as server:
            await server.until_ready()
            async with httpx.AsyncClient(base_url=server.url) as client:
                for n in (1, 2, 3):
                    await record_order(client, admin, f"hook-{n}")
            lines = [
                json.loads(await asyncio.wait_for(receiver.stdout.readline(), 10)) for _ in range(3)
            ]
    finally:
        receiver.terminate()
        await receiver.wait()
    assert [e["milestone"]["threshold"] for e in lines] == ["1", "2", "3"]
    assert [e["type"] for e in lines] == ["REWARD_ISSUED"] * 3
