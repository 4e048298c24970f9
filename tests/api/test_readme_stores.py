"""The README's "Connect your store" runs as written: the mutation, the printed curl
commands (sent as curl would send them), the progress they move and the delivery log."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

from api.cli import main
from tests.builders import gift, make_rule, points

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
SECTION = README[README.index("### Connect your store") : README.index("## Command line")]
BLOCKS = re.findall(r"```graphql\n(.*?)```", SECTION, flags=re.S)
[SHELL] = re.findall(r"```sh\n(.*?)```", SECTION, flags=re.S)


def commands(shell: str) -> list[list[str]]:
    return [shlex.split(line) for line in shell.replace("\\\n", " ").splitlines() if line.strip()]


def printed_curl(argv: list[str], capsys) -> list[str]:
    """Run a `milestones sign-webhook …| sh` line's command; the curl command it prints."""
    assert argv[0] == ".venv/bin/milestones" and argv[-2:] == ["|", "sh"]
    assert main(argv[1:-2]) == 0
    return shlex.split(capsys.readouterr().out.replace("\\\n", " "))


async def send_as_curl(http, curl: list[str]):
    assert curl[:4] == ["curl", "-sS", "-X", "POST"]
    url, rest = curl[4], curl[5:]
    headers = dict(value.split(": ", 1) for flag, value in zip(rest, rest[1:], strict=False) if flag == "-H")
    (body,) = [value for flag, value in zip(rest, rest[1:], strict=False) if flag == "--data-binary"]
    content = (ROOT / body.removeprefix("@")).read_bytes()
    return await http.post(urlsplit(url).path, content=content, headers=headers)


async def test_connect_your_store_runs_as_written(shops, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    shop = await shops()
    await make_rule(shop, "ORDERS_COUNT", [(5, points(100)), (20, points(500)), (30, gift("shirt"))])
    connect, progress, log = BLOCKS
    connected = (await shop.gql(connect))["connectStore"]
    assert connected["userErrors"] == []
    assert connected["storeConnection"]["domain"] == "demo-store.myshopify.com"

    lines = commands(SHELL)
    assert len(lines) == 3
    for argv in lines:
        answer = await send_as_curl(shop.http, printed_curl(argv, capsys))
        assert (answer.status_code, answer.json()["outcome"]) == (200, "RECORDED"), answer.text

    (rule_progress,) = (await shop.gql(progress))["customer"]["progress"]
    promised = re.search(r"`value` `\"(\d+)\"`, `remaining` `\"(\d+)\"`", SECTION).groups()
    assert (rule_progress["value"], rule_progress["remaining"]) == promised == ("2", "3")

    again = await send_as_curl(shop.http, printed_curl(lines[-1], capsys))
    assert again.json()["outcome"] == "DUPLICATE"
    assert (await shop.gql(progress))["customer"]["progress"][0]["value"] == "2"

    (store,) = (await shop.gql(log))["shop"]["storeConnections"]
    outcomes = [(n["topic"], n["outcome"]) for n in store["deliveries"]["nodes"]]
    assert outcomes == [
        ("orders/create", "DUPLICATE"),
        ("orders/create", "RECORDED"),
        ("orders/create", "RECORDED"),
        ("customers/create", "RECORDED"),
    ]
    assert store["deliveries"]["nodes"][1]["activity"]["kind"] == "ORDER_PLACED"
