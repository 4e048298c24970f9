"""For the reporting tests: each captured statement's query plan, on either database, must
reach the named tables through an index, never by reading the whole table."""

from __future__ import annotations

import re

from tortoise import connections
from tortoise.transactions import in_transaction


async def _plan(query: str, values: list) -> list[str]:
    conn = connections.get("default")
    if conn.capabilities.dialect == "sqlite":
        rows = await conn.execute_query_dict(f"EXPLAIN QUERY PLAN {query}", values)
        return [row["detail"] for row in rows]
    async with in_transaction() as tx:
        # Test tables are tiny: without this the planner reads them whole whatever the indexes.
        await tx.execute_script("SET LOCAL enable_seqscan = off")
        rows = await tx.execute_query_dict(f"EXPLAIN {query}", values)
    return [row["QUERY PLAN"] for row in rows]


def _whole_table_reads(plan: list[str], tables: tuple[str, ...]) -> list[str]:
    names = "|".join(tables)
    sqlite_scan = re.compile(rf"^SCAN ({names})\b(?!.*USING (COVERING )?INDEX)")
    postgres_scan = re.compile(rf"Seq Scan on ({names})\b")
    return [line for line in plan if sqlite_scan.search(line) or postgres_scan.search(line)]


async def assert_every_statement_uses_an_index(
    statements: list[tuple[str, list]], tables: tuple[str, ...]
) -> None:
    problems = []
    for query, values in statements:
        if not query.lstrip().upper().startswith("SELECT"):
            continue
        plan = await _plan(query, values)
        if _whole_table_reads(plan, tables):
            problems.append(f"{query}\n  {values}\n  " + "\n  ".join(plan))
    assert problems == [], "\n\n".join(problems)
