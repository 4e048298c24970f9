"""The in-server sweep loop: one run at a time across processes, stopping between batches."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field

import pytest

from api.jsonlog import JsonFormatter
from api.sweeper import Sweeper
from engine.services import sweep as sweep_module
from tests.builders import make_rule, order, points
from tests.metric_samples import samples

SWEEP = """mutation($asOf: DateTime) { runInactivitySweep(asOf: $asOf) {
  granted userErrors { code } } }"""


@dataclass
class Result:
    granted: int

    def summary(self) -> str:
        return f"granted {self.granted}"


@dataclass
class BatchedSweep:
    """Stands in for the engine's sweep: batches, each waiting for the test's go-ahead."""

    batches: int = 3
    done: list[int] = field(default_factory=list)
    started: asyncio.Event = field(default_factory=asyncio.Event)
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    calls: int = 0

    async def __call__(self, *, as_of, should_stop) -> Result:
        assert as_of is None
        self.calls += 1
        self.started.set()
        for batch in range(self.batches):
            await self.gate.wait()
            self.done.append(batch)
            if should_stop():
                break
        return Result(granted=len(self.done))


async def test_a_second_sweeper_skips_while_the_first_is_sweeping(database_url):
    first, second = BatchedSweep(), BatchedSweep()
    running = asyncio.create_task(Sweeper(database_url, 60, first).run_once())
    await first.started.wait()
    assert await Sweeper(database_url, 60, second).run_once() is None
    assert second.calls == 0
    first.gate.set()
    assert (await running).granted == 3
    second.gate.set()
    assert (await Sweeper(database_url, 60, second).run_once()).granted == 3


async def test_stopping_ends_the_sweep_after_its_current_batch(database_url):
    sweep = BatchedSweep(batches=5)
    sweeper = Sweeper(database_url, 0, sweep)
    sweeper.start()
    await sweep.started.wait()
    stopping = asyncio.create_task(sweeper.stop())
    await asyncio.sleep(0)
    sweep.gate.set()
    await stopping
    assert sweep.done == [0]
    assert sweep.calls == 1


async def test_a_sweep_run_is_logged(database_url, caplog):
    caplog.set_level(logging.INFO)
    sweep = BatchedSweep(batches=2)
    sweep.gate.set()
    await Sweeper(database_url, 60, sweep).run_once()
    formatter = JsonFormatter()
    records = [r for r in caplog.records if r.name == "milestones.sweep"]
    [line] = [json.loads(formatter.format(r)) for r in records]
    assert (line["message"], line["summary"], line["stopped_early"]) == (
        "sweep finished", "granted 2", False
    )


async def test_a_failing_sweep_is_logged_and_the_loop_lives_on(database_url, caplog):
    caplog.set_level(logging.INFO)

    async def broken(*, as_of, should_stop):
        raise RuntimeError("database went away")

    assert await Sweeper(database_url, 60, broken).run_once() is None
    [record] = [r for r in caplog.records if r.name == "milestones.sweep"]
    assert record.levelname == "ERROR" and "database went away" in JsonFormatter().format(record)


SWEEP_SAMPLES = {
    "completed": ("milestones_sweep_runs_total", {"outcome": "completed"}),
    "failed": ("milestones_sweep_runs_total", {"outcome": "failed"}),
    "timed": ("milestones_sweep_duration_seconds_count", {}),
    "granted": ("milestones_sweep_granted_total", {}),
}


async def test_every_sweep_is_counted_with_what_it_granted(shops, http):
    shop = await shops()
    await make_rule(shop, "INACTIVITY", [(1, points(5))], past=True)  # the sweep looks back
    await order(shop, "quiet", occurredAt="2026-01-01T00:00:00+00:00")
    before = await samples(http, SWEEP_SAMPLES)
    data = await shop.gql(SWEEP, {"asOf": "2026-03-01T00:00:00+00:00"})
    assert data["runInactivitySweep"]["granted"] == 1
    after = await samples(http, SWEEP_SAMPLES)
    assert {k: after[k] - before[k] for k in before} == {
        "completed": 1, "failed": 0, "timed": 1, "granted": 1,
    }


async def test_a_sweep_that_fails_is_counted_as_failed(http, monkeypatch):
    async def broken(*args):
        raise RuntimeError("database went away")

    monkeypatch.setattr(sweep_module, "_expire", broken)
    before = await samples(http, SWEEP_SAMPLES)
    with pytest.raises(RuntimeError):
        await sweep_module.run_sweep()
    after = await samples(http, SWEEP_SAMPLES)
    assert {k: after[k] - before[k] for k in before} == {
        "completed": 0, "failed": 1, "timed": 1, "granted": 0,
    }
