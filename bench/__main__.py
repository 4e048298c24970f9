"""`python -m bench [--quick] [--only P1,P3] [--runs N] [--postgres URL]`: the performance table.

Every figure is the median of several runs (min–max beside it) and stands beside a floor
measured in the same run; the table is printed and written to bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path

from bench import datasets, floors, shop, throughput
from bench.cpu import Meter
from bench.processes import free_port
from bench.report import Figure, Row, table, write_json

RESULTS = datasets.ROOT / "bench" / "results"


@dataclass(frozen=True)
class Mode:
    name: str
    runs: int
    seconds: float  # per measured HTTP run
    customers: int
    heavy_history: int  # P2: past activities of the heavy customer
    import_count: int  # P4
    import_seconds: float  # P4: the import stops here and reports its rate
    sweep_customers: int  # P4
    subscribers: int  # P5
    pg_customers: int  # P6
    preview_count: int  # P7: recorded activities the preview replays


QUICK = Mode("quick", 3, 1.0, 10_000, 10_000, 1_000_000, 8.0, 100_000, 1_000, 1_000, 100_000)
FULL = Mode("full", 3, 4.0, 10_000, 100_000, 1_000_000, 60.0, 1_000_000, 1_000, 5_000, 1_000_000)


def _floor_row(name: str, figure: Figure, unit: str) -> Row:
    return Row(f"floor: {name}", figure, unit)


def run(mode: Mode, only: set[str], postgres: str | None, workdir: Path, failed: list[str]) -> list[Row]:
    rows: list[Row] = []
    sqlite_p1: dict = {}  # P1's figures, which P6 compares PostgreSQL with
    wants = lambda part: not only or part in only  # noqa: E731
    concurrencies = [16, 64]
    http = {}
    if wants("P1") or wants("P6") or wants("floors"):
        print("floors: bare Starlette, { hello }, one-row mutation …", flush=True)
        http = floors.http_floors(workdir, mode.seconds, mode.runs, concurrencies)
        rows.append(_floor_row("bare Starlette endpoint (c=16)", http["bare"].per_second, "req/s"))
        rows.append(_floor_row("Strawberry { hello } (c=16)", http["hello"].per_second, "req/s"))
        for c in concurrencies:
            rows.append(_floor_row(f"Strawberry one-row mutation (c={c})", http[f"insert c={c}"].per_second, "req/s"))
        raw = floors.aiosqlite_floor(workdir, 2000, mode.runs)
        rows.append(_floor_row("aiosqlite one-row transactions (WAL)", raw, "tx/s"))

    if wants("P1") or wants("P3"):
        print(f"realistic shop: {mode.customers:,} customers, 20 rules …", flush=True)
        path = workdir / "shop.sqlite3"
        facts, built = datasets.sqlite_dataset(
            "shop", path, lambda: shop.build(mode.customers), mode.customers
        )
        if built:
            print(f"  built in {built:.0f}s ({facts['activities']:,} activities), cached for next runs", flush=True)
        url = f"sqlite://{path}"
        if wants("P3"):
            count, progress = throughput.admin_page_queries(url, facts["admin_key"])
        port = free_port()
        with throughput.serve(port, url, workdir) as server:
            if wants("P1"):
                print("P1: recordOrder at c=16 and c=64 …", flush=True)
                p1 = throughput.record_orders(
                    port, facts["admin_key"], mode.customers, concurrencies, mode.seconds, mode.runs,
                    Meter(server.pid),
                )
                sqlite_p1.update(p1)
                for c in concurrencies:
                    floor = http.get(f"insert c={c}")
                    rows.append(Row(
                        f"P1 recordOrder c={c}: throughput", p1[c].per_second, "activities/s",
                        floor.per_second if floor else None, "one-row mutation",
                        "≥ 0.6 × floor and ≥ 1,000/s",
                        lambda v, r: v >= 1000 and (r is None or r >= 0.6),
                    ))
                    rows.append(Row(f"P1 recordOrder c={c}: p50", p1[c].p50_ms, "ms",
                                    floor.p50_ms if floor else None, "one-row mutation"))
                    rows.append(Row(f"P1 recordOrder c={c}: p99", p1[c].p99_ms, "ms",
                                    floor.p99_ms if floor else None, "one-row mutation"))
                    if p1[c].server_cpu_ms:
                        rows.append(Row(f"P1 recordOrder c={c}: CPU per activity (server)", p1[c].server_cpu_ms,
                                        "ms", floor.server_cpu_ms if floor else None, "one-row mutation",
                                        note=f"{p1[c].server_cpu_ms.median:.2f} cores per 1,000 activities/s"))
            if wants("P3"):
                print("P3: the admin page …", flush=True)
                page = throughput.admin_page_latency(port, facts["admin_key"], mode.seconds, mode.runs)
                rows.append(Row(
                    f"P3 admin page (50 customers, {progress} progress rows): SQL statements",
                    Figure.of([count[50]]), "queries", Figure.of([count[5]]), "page of 5",
                    "constant (same for 5 and 50)", lambda v, r: r == 1.0,
                ))
                rows.append(Row(
                    "P3 admin page: p99", page.p99_ms, "ms", http["hello"].p99_ms if http else None,
                    "{ hello }", "≤ 50 ms", lambda v, r: v <= 50,
                ))
                rows.append(Row("P3 admin page: p50", page.p50_ms, "ms",
                                http["hello"].p50_ms if http else None, "{ hello }"))
    parts = [
        ("P2", lambda: growth_rows(mode, workdir)),
        ("P4", lambda: bulk_rows(mode, workdir)),
        ("P5", lambda: live_rows(mode, workdir)),
        ("P6", lambda: scale_out_rows(mode, workdir, postgres, sqlite_p1, concurrencies)),
        ("P7", lambda: preview_rows(mode, workdir, postgres)),
    ]
    for part, measure in parts:
        if not wants(part):
            continue
        try:
            rows += measure()
        except Exception:  # one broken part must not lose the others' figures
            traceback.print_exc()
            print(f"{part}: failed, see above", flush=True)
            failed.append(part)
    return rows


def bulk_rows(mode: Mode, workdir: Path) -> list[Row]:
    from bench import bulk

    n, cap = mode.import_count, mode.import_seconds
    print(f"P4: import of {n:,} past activities (at most {cap:.0f}s),"
          f" sweep over {mode.sweep_customers:,} customers …", flush=True)
    imported = bulk.run("import", workdir / "import.sqlite3", n, cap)
    reached = "" if imported["count"] >= n else f" (stopped at {imported['count']:,} after {imported['seconds']:.0f}s)"
    swept = bulk.run("sweep", workdir / "sweep.sqlite3", mode.sweep_customers, 0)
    under = lambda v, r: v <= 300  # noqa: E731
    return [
        Row(f"P4 import of {n:,} past activities{reached}", Figure.of([imported["per_second"]]), "activities/s",
            target="≥ 20,000/s", check=lambda v, r: v >= 20_000),
        Row("P4 import: peak RSS", Figure.of([imported["rss_mb"]]), "MB", target="< 300 MB", check=under),
        Row(f"P4 sweep over {mode.sweep_customers:,} customers ({swept['granted']:,} grants)",
            Figure.of([swept["seconds"]]), "s", target="≤ 60 s", check=lambda v, r: v <= 60),
        Row("P4 sweep: peak RSS", Figure.of([swept["rss_mb"]]), "MB", target="< 300 MB", check=under),
    ]


def preview_rows(mode: Mode, workdir: Path, postgres: str | None) -> list[Row]:
    from bench import preview

    n = mode.preview_count
    print(f"P7: preview of a 10-milestone ladder over {n:,} recorded activities …", flush=True)
    found = [("SQLite", preview.run(f"sqlite://{workdir / 'preview.sqlite3'}", n))]
    if postgres:
        from bench import scale_out

        with scale_out.database(postgres) as url:
            found.append(("PostgreSQL", preview.run(url, n)))
    rows = []
    for name, measured in found:
        rows += [
            Row(f"P7 preview over {n:,} activities ({name})", Figure.of([measured["seconds"]]), "s",
                target="≤ 10 s", check=lambda v, r: v <= 10),
            Row(f"P7 preview ({name}): CPU", Figure.of([measured["cpu_seconds"]]), "s"),
            Row(f"P7 preview ({name}): peak RSS", Figure.of([measured["rss_mb"]]), "MB",
                Figure.of([measured["rss_before_mb"]]), "before the preview", "flat (< 2 × before)",
                lambda v, r: r is not None and r < 2),
        ]
    return rows


def scale_out_rows(mode: Mode, workdir: Path, postgres: str | None, sqlite_p1: dict,
                   concurrencies: list[int]) -> list[Row]:
    if not postgres:
        print("P6: skipped (no --postgres URL and no BENCH_POSTGRES_URL)", flush=True)
        return []
    from bench import scale_out

    customers = mode.pg_customers
    print(f"P6: PostgreSQL, 1, 2 and 4 workers, {customers:,} customers …", flush=True)
    done = scale_out.record_orders(postgres, workdir, customers, concurrencies, mode.seconds, mode.runs, [1, 2, 4])
    rows = []
    for run in done:
        w = f"{run.workers} worker{'s' if run.workers > 1 else ''}"
        for c in concurrencies:
            p1, figures = sqlite_p1.get(c), run.orders[c]
            two = run.workers == 2
            rows.append(Row(
                f"P6 PostgreSQL, {w}, recordOrder c={c}", figures.per_second, "activities/s",
                p1.per_second if p1 else None, "P1: SQLite, 1 process",
                "≥ 1.0 × SQLite" if two else "", (lambda v, r: r is not None and r >= 1.0) if two else None,
            ))
            rows.append(Row(f"P6 {w} c={c}: p99", figures.p99_ms, "ms", p1.p99_ms if p1 else None,
                            "P1: SQLite, 1 process"))
            if figures.total_cpu_ms:
                rows.append(Row(
                    f"P6 {w} c={c}: CPU per activity (server + PostgreSQL)", figures.total_cpu_ms, "ms",
                    p1.server_cpu_ms if p1 else None, "P1: SQLite, 1 process",
                    "≤ 2 × SQLite" if two else "", (lambda v, r: r is not None and r <= 2.0) if two else None,
                    note=f"server {figures.server_cpu_ms.median:.2f} ms + PostgreSQL "
                         f"{figures.postgres_cpu_ms.median if figures.postgres_cpu_ms else 0:.2f} ms;"
                         f" {figures.total_cpu_ms.median:.2f} cores per 1,000 activities/s",
                ))
        waits = run.waits
        rows.append(Row(
            f"P6 {w}: backends waiting on a lock (share of busy samples)",
            Figure.of([100 * waits["lock_wait_share"]]), "%",
            note=f"{waits['lock_wait_backend_seconds']:.2f} backend-s waiting in {waits['seconds']:.0f} s;"
                 f" by statement {waits['by_statement']}; by lock {waits['by_lock']}",
        ))
    return rows


def live_rows(mode: Mode, workdir: Path) -> list[Row]:
    from bench import live

    count, seconds, rate = mode.subscribers, mode.seconds + 1, 5.0
    print(f"P5: {count:,} websocket subscribers, {rate:.0f} events/s …", flush=True)
    path = workdir / "live.sqlite3"
    facts, _ = datasets.sqlite_dataset("live", path, live.build)
    floor = live.floor(workdir, count, seconds, rate, mode.runs)
    real = live.milestones(workdir, f"sqlite://{path}", facts["admin_key"], count, seconds, rate, mode.runs)
    rows = [
        Row(f"P5 event delivery to {count:,} subscribers: p99", real.p99_ms, "ms", floor.p99_ms,
            "bare broadcast", "≤ 1.5 × floor", lambda v, r: r is not None and r <= 1.5),
        Row(f"P5 event delivery to {count:,} subscribers: p50", real.p50_ms, "ms", floor.p50_ms, "bare broadcast"),
        Row("P5 messages delivered", real.per_second, "msgs/s", floor.per_second, "bare broadcast",
            "≥ 0.95 × floor", lambda v, r: r is not None and r >= 0.95),
    ]
    if real.cpu_us_per_message is not None:
        rows.append(Row("P5 server CPU per delivered message", real.cpu_us_per_message, "µs",
                        floor.cpu_us_per_message, "bare broadcast"))
    return rows


def growth_rows(mode: Mode, workdir: Path) -> list[Row]:
    from bench import growth

    heavy = mode.heavy_history
    print(f"P2: growth (a customer with {heavy:,} past activities, a rule with 1,000 milestones) …", flush=True)
    path = workdir / "growth.sqlite3"
    facts, built = datasets.sqlite_dataset("growth", path, lambda: growth.build(heavy), heavy)
    if built:
        print(f"  built in {built:.0f}s, cached for next runs", flush=True)
    times = growth.measure(f"sqlite://{path}", facts, 200 if mode.name == "quick" else 400, mode.runs)
    within = lambda v, r: r is not None and r <= 1.2  # noqa: E731
    return [
        Row(f"P2 order for a customer with {heavy:,} past activities", Figure.of(times["heavy"]), "ms",
            Figure.of(times["light"]), "one with 10", "≤ 1.2 × floor", within),
        Row("P2 order on a rule with 1,000 milestones", Figure.of(times["many"]), "ms",
            Figure.of(times["few"]), "one with 3", "≤ 1.2 × floor", within),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="shorter runs and smaller bulk sizes (under 2 minutes)")
    parser.add_argument("--only", default="", help="comma-separated parts: floors,P1,P2,P3,P4,P5,P6,P7")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL"),
                        help="a PostgreSQL server for P6 and P7 (a database is created and dropped)")
    parser.add_argument("--customers", type=int, help="customers of the realistic shop (default 10,000)")
    parser.add_argument("--runs", type=int, help="measured runs per figure (default 3)")
    args = parser.parse_args(argv)
    mode = QUICK if args.quick else FULL
    if args.customers:
        mode = replace(mode, customers=args.customers)
    if args.runs:
        mode = replace(mode, runs=args.runs)
    only = {part.strip() for part in args.only.split(",") if part.strip()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="run-", dir=RESULTS))
    started = time.perf_counter()
    try:
        failed: list[str] = []
        rows = run(mode, only, args.postgres, workdir, failed)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    seconds = time.perf_counter() - started
    print()
    print(table(rows))
    print(f"\n{mode.name} run in {seconds:.0f}s; written to bench/results/latest.json")
    write_json(rows, RESULTS / "latest.json", mode.name, seconds)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
