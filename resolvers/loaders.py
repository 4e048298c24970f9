"""DataLoaders, created per operation, so that lists cost a fixed number of queries."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from strawberry.dataloader import DataLoader

from models import Milestone, MilestoneRule

BatchLoad = Callable[[list[Any]], Awaitable[Sequence[Any]]]


class Loader(DataLoader):
    """A DataLoader whose callers each await their own view of a shared result.

    Two fields loading the same key share one future. When GraphQL cancels one of them (a
    sibling failed and nulled their parent), cancelling it must not cancel the shared future
    under the other, whose CancelledError would escape the whole request as a 500.
    """

    def load(self, key: Any) -> Awaitable[Any]:
        return asyncio.shield(super().load(key))


def loader(info, name: str, batch: BatchLoad) -> DataLoader:
    return info.context.loader(name, lambda: Loader(load_fn=batch))


def group_by(rows: Sequence[Any], attr: str, keys: Sequence[Any]) -> list[list[Any]]:
    groups: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        groups[getattr(row, attr)].append(row)
    return [groups.get(key, []) for key in keys]


def index_by(rows: Sequence[Any], keys: Sequence[Any], attr: str = "id") -> list[Any]:
    found = {getattr(row, attr): row for row in rows}
    return [found.get(key) for key in keys]


async def _milestones(rule_ids: list[int]) -> list[list[Milestone]]:
    rows = await Milestone.filter(rule_id__in=rule_ids, retired_at=None).order_by("position")
    return group_by(rows, "rule_id", rule_ids)


async def _milestones_by_id(ids: list[int]) -> list[Milestone | None]:
    return index_by(await Milestone.filter(id__in=ids), ids)


async def _rules_by_id(ids: list[int]) -> list[MilestoneRule | None]:
    return index_by(await MilestoneRule.filter(id__in=ids), ids)


def milestones_of_rule(info) -> DataLoader:
    return loader(info, "milestones_of_rule", _milestones)


def milestone_by_id(info) -> DataLoader:
    return loader(info, "milestone_by_id", _milestones_by_id)


def rule_by_id(info) -> DataLoader:
    """Rules by id, across shops: callers only ever pass ids read from the caller's own rows."""
    return loader(info, "rule_by_id", _rules_by_id)
