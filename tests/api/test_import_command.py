"""`milestones import`: every format, bad lines with their numbers, bad files in one line, and
a run finished after an interruption. The command runs as a process on the suite's database;
the shop is made and read here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.store import sql
from tests.builders import customer, make_rule, points

COMMAND = str(Path(sys.executable).with_name("milestones"))
PAST = "2026-03-01T10:00:00+00:00"


def run(database: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database}
    return subprocess.run([COMMAND, "import", *args], env=env, capture_output=True, text=True, timeout=120)


def summary(result: subprocess.CompletedProcess) -> dict:
    """The summary's figures, and the rejected lines' numbers and reasons."""
    found: dict = {"rejected lines": {}}
    for line in result.stdout.splitlines()[1:]:
        if line.startswith("  line "):
            number, reason = line.removeprefix("  line ").split(": ", 1)
            found["rejected lines"][int(number)] = reason
        else:
            name, value = line.split(": ", 1)
            found[name] = int(value.split(" ")[0].replace(",", ""))
    return found


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("milestones: error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def ndjson(path: Path, items: list) -> Path:
    path.write_text("".join((item if isinstance(item, str) else json.dumps(item)) + "\n" for item in items))
    return path


async def activity_count(shop) -> int:
    row = await sql.fetch_one(sql.current(), "SELECT count(*) AS n FROM activities WHERE shop_id = $1", shop.id)
    return row["n"]


def order(who: str, order_id: str, total: str, **extra) -> dict:
    return {"order": {"customerExternalId": who, "orderId": order_id, "total": total, "currency": "USD",
                      "occurredAt": PAST, **extra}}


EVERY_KIND = [
    order("ann", "o1", "30.00", email="ann@example.com"),
    {"refund": {"customerExternalId": "ann", "refundId": "r1", "orderId": "o1", "amount": "5.00", "occurredAt": PAST}},
    {"review": {"customerExternalId": "ann", "reviewId": "rev1", "occurredAt": PAST}},
    {"referral": {"customerExternalId": "ann", "referralId": "ref1", "occurredAt": PAST}},
    {"subscriptionBilling": {"customerExternalId": "cat", "billingId": "b1", "contractId": "k1", "occurredAt": PAST}},
    {"subscriptionCancellation": {"customerExternalId": "cat", "contractId": "k1", "occurredAt": PAST}},
    {"pointsEarned": {"customerExternalId": "cat", "entryId": "p1", "points": 70, "source": "quiz", "occurredAt": PAST}},
    {"signup": {"customerExternalId": "eve", "occurredAt": PAST}},
]


async def test_ndjson_of_every_kind_is_recorded_and_bad_lines_are_rejected_with_their_numbers(shops, database, tmp_path):
    shop = await shops()
    lines = [
        *EVERY_KIND,
        order("bob", "o2", "x"),  # line 9
        "",  # a blank line is passed over
        order("bob", "o3", "12.00", currency="EUR"),  # line 11
        {"order": {"customerExternalId": "bob", "orderId": "o4"}},  # line 12
        order("bob", "o5", "8.00"),
    ]
    result = run(database, str(ndjson(tmp_path / "history.ndjson", lines)), "--shop", str(shop.id))
    assert result.returncode == 3, result.stderr
    assert result.stderr == ""  # no progress bar without a terminal
    assert result.stdout.splitlines()[0].startswith(f"history.ndjson (ndjson) into shop {shop.id} (")
    assert summary(result) == {"recorded": 9, "duplicates": 0, "rejected": 3, "rejected lines": {
        9: "order.total: Decimal cannot represent 'x'",
        11: "CURRENCY_MISMATCH at order.currency: The order is in 'EUR'; the shop's currency is USD.",
        12: "order: total, currency are required",
    }}
    ann = await customer(shop, "ann")
    assert (ann["ordersCount"], ann["totalSpent"], ann["totalRefunded"]) == (1, "30.00", "5.00")
    assert (await customer(shop, "cat"))["pointsBalance"] == 70
    assert (await customer(shop, "bob"))["ordersCount"] == 1
    assert await activity_count(shop) == 9


async def test_the_same_file_twice_records_nothing_the_second_time(shops, database, tmp_path):
    shop = await shops()
    await make_rule(shop, "ORDERS_COUNT", [(1, points(10))], past=True)
    path = ndjson(tmp_path / "history.ndjson", EVERY_KIND)
    assert summary(run(database, str(path), "--shop", str(shop.id)))["recorded"] == 8
    again = run(database, str(path), "--shop", str(shop.id))
    assert again.returncode == 0
    assert summary(again) == {"recorded": 0, "duplicates": 8, "rejected": 0, "rejected lines": {}}
    assert await activity_count(shop) == 8


async def test_a_run_stopped_halfway_is_finished_by_running_the_whole_file(shops, database, tmp_path):
    shop = await shops()
    await make_rule(shop, "ORDERS_COUNT", [(3, points(10)), (6, points(20))])
    # Orders of now (the rule counts what occurs once it is active), two customers.
    items = [{"order": {"customerExternalId": f"c{n % 2}", "orderId": f"o{n}", "total": "10.00", "currency": "USD"}}
             for n in range(2500)]
    whole = ndjson(tmp_path / "orders.ndjson", items)
    half = ndjson(tmp_path / "half.ndjson", items[:1300])  # what an interrupted run had committed
    assert summary(run(database, str(half), "--format", "ndjson", "--shop", str(shop.id)))["recorded"] == 1300
    finished = run(database, str(whole), "--shop", str(shop.id))
    assert summary(finished) == {"recorded": 1200, "duplicates": 1300, "rejected": 0, "rejected lines": {}}
    for who in ("c0", "c1"):
        data = await customer(shop, who)
        assert data["ordersCount"] == 1250 and data["pointsBalance"] == 30
    assert await activity_count(shop) == 2500


async def test_a_csv_of_orders_is_read_by_its_header(shops, database, tmp_path):
    shop = await shops()
    path = tmp_path / "orders.csv"
    path.write_text(
        "orderId,customerExternalId,total,currency,occurredAt,email\n"
        f"1001,ann,12.50,USD,{PAST},ann@example.com\n"
        f"1002,ann,7.50,usd,{PAST},\n"
        "1003,bob,abc,USD,,\n"
        "1004,bob,3.00\n"
        f'"1005",bob,"4.00",USD,{PAST},\n'
    )
    result = run(database, str(path), "--shop", str(shop.id))
    assert summary(result) == {"recorded": 3, "duplicates": 0, "rejected": 2, "rejected lines": {
        4: "order.total: Decimal cannot represent 'abc'",
        5: "has 3 cells; the header names 6 columns",
    }}
    ann = await customer(shop, "ann")
    assert (ann["ordersCount"], ann["totalSpent"]) == (2, "20.00")


async def test_a_shopify_bulk_export_of_orders_records_orders_and_refunds_under_shopify_ids(shops, database, tmp_path):
    shop = await shops()
    money = lambda amount: {"shopMoney": {"amount": amount, "currencyCode": "USD"}}  # noqa: E731
    lines = [
        {"id": "gid://shopify/Order/450789469", "createdAt": "2026-02-01T10:00:00Z", "email": "ann@example.com",
         "customer": {"id": "gid://shopify/Customer/207119551"}, "totalPriceSet": money("59.00"),
         "refunds": [{"id": "gid://shopify/Refund/509562969", "createdAt": "2026-02-03T10:00:00Z",
                      "totalRefundedSet": money("9.00")}]},
        {"id": "gid://shopify/LineItem/466157049", "__parentId": "gid://shopify/Order/450789469"},
        {"id": "gid://shopify/Refund/509562970", "createdAt": "2026-02-04T10:00:00Z",
         "totalRefundedSet": money("10.00"), "__parentId": "gid://shopify/Order/450789469"},
        {"id": "gid://shopify/Order/450789470", "createdAt": "2026-02-05T10:00:00Z", "customer": None,
         "totalPriceSet": money("20.00"), "refunds": []},
        {"id": "gid://shopify/Order/450789471", "createdAt": "2026-02-05T10:00:00Z", "test": True,
         "customer": {"id": "gid://shopify/Customer/207119551"}, "totalPriceSet": money("20.00")},
        {"id": "gid://shopify/Order/450789472", "createdAt": "2026-02-06T10:00:00Z",
         "customer": {"id": "gid://shopify/Customer/207119551"}, "totalPriceSet": {"shopMoney": {"amount": "x"}}},
        {"id": "gid://shopify/Refund/1", "totalRefundedSet": money("1.00"), "__parentId": "gid://shopify/Order/9"},
    ]
    path = ndjson(tmp_path / "bulk-orders.jsonl", lines)  # the format comes from the first line
    result = run(database, str(path), "--shop", str(shop.id))
    assert result.stdout.splitlines()[0].startswith("bulk-orders.jsonl (shopify-jsonl)")
    assert summary(result) == {"recorded": 3, "duplicates": 0, "skipped": 2, "rejected": 2, "rejected lines": {
        6: "`amount` is not an amount",
        7: "refund of order 9, which no line before it holds",
    }}
    data = await customer(shop, "207119551")
    assert (data["ordersCount"], data["totalSpent"], data["totalRefunded"]) == (1, "59.00", "19.00")
    rows = await sql.fetch(sql.current(), "SELECT kind, external_id FROM activities WHERE shop_id = $1 ORDER BY id",
                           shop.id)
    assert [(r["kind"], r["external_id"]) for r in rows] == [
        ("ORDER_PLACED", "450789469"), ("ORDER_REFUNDED", "509562969"), ("ORDER_REFUNDED", "509562970")]


@pytest.mark.parametrize(("name", "content", "fragments"), [
    ("empty.ndjson", b"", ["empty.ndjson is empty"]),
    ("latin1.ndjson", json.dumps(order("ann", "o1", "1.00")).encode() + b"\n" + "{\"order\": \"caf\xe9\"}".encode("latin-1"),
     ["latin1.ndjson is not UTF-8 text (line 2)"]),
    ("cut.ndjson", json.dumps(order("ann", "o1", "1.00")).encode() + b'\n{"order": {"customerExt',
     ["line 2 is not JSON", "cut short"]),
    ("kind.ndjson", json.dumps(order("ann", "o1", "1.00")).encode() + b'\n{"purchase": {"id": 1}}\n',
     ["line 2 names the unknown kind 'purchase'"]),
    ("two.ndjson", b'{"order": {}, "review": {}}\n', ["line 1 names 2 kinds"]),
    ("columns.csv", b"customerExternalId,total\nann,1.00\n", ["columns.csv has no column orderId, currency"]),
    ("typo.csv", b"customerExternalId,orderId,total,currency,occuredAt\n", ["unknown column 'occuredAt'"]),
    ("products.jsonl", b'{"id": "gid://shopify/Product/1"}\n', ["line 1 is a Product, not an order"]),
    ("orders.txt", b"{}\n", ["cannot tell the format of orders.txt", "--format"]),
])
async def test_a_bad_file_is_one_line_on_stderr_and_records_nothing(shops, database, tmp_path, name, content, fragments):
    shop = await shops()
    path = tmp_path / name
    path.write_bytes(content)
    assert_one_line_error(run(database, str(path), "--shop", str(shop.id)), *fragments)
    assert await activity_count(shop) == 0


async def test_without_shop_the_command_names_the_shops_to_choose_from(shops, database, tmp_path):
    await shops()
    await shops()
    path = ndjson(tmp_path / "history.ndjson", EVERY_KIND)
    assert_one_line_error(run(database, str(path)), "there are several shops", "--shop ID")
    assert_one_line_error(run(database, str(path), "--shop", "999999"), "no shop with id 999999")
    assert_one_line_error(run(database, str(tmp_path / "none.ndjson")), "no such file")
