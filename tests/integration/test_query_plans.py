"""The statement that reads an activity's state searches every table it joins by index, for
both the rule and the customer: a grant lookup that used only the rule's half of an index read
every grant of each rule for every order (8 ms an order on a shop with 9,000 grants)."""

from __future__ import annotations

import os

import pytest
from tortoise import connections

from api import db
from engine.core.enums import RuleType
from engine.store import rules
from engine.store.sql import sqlite_statement, sqlite_value

pytestmark = pytest.mark.skipif(
    db.is_postgres(os.environ.get("DATABASE_URL", "")), reason="SQLite's planner, read from EXPLAIN QUERY PLAN"
)


async def test_the_state_read_searches_grants_and_progress_by_rule_and_customer(database):
    work = rules.with_state(1, [7, 8], [RuleType.ORDERS_COUNT, RuleType.AMOUNT_SPENT])
    statement = next(work)
    work.close()
    plan = await connections.get("default").execute_query_dict(
        "EXPLAIN QUERY PLAN " + sqlite_statement(statement.sql), [sqlite_value(v) for v in statement.params]
    )
    steps = {row["detail"].split()[1]: row["detail"] for row in plan if row["detail"].startswith("SEARCH")}
    assert set(steps) == {"r", "c", "p", "g", "m"}, plan
    assert "customer_id=? AND rule_id=?" in steps["g"] or "rule_id=? AND customer_id=?" in steps["g"], steps["g"]
    assert "rule_id=? AND customer_id=?" in steps["p"], steps["p"]
    assert not [row for row in plan if row["detail"].startswith("SCAN")], plan
