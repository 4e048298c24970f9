"""Importing many activities at once: a merchant's past orders, a webhook backlog.

Each activity is evaluated exactly as `record_activity` evaluates it, but many share one
transaction, each inside its own savepoint: one activity's rejection undoes only that activity,
and the commit (the expensive part on both databases) is paid once per batch. The idempotency
key is the same, so importing a batch twice, or recording some of its activities before,
changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tortoise.transactions import in_transaction

from engine import telemetry
from engine.activities import ActivityInput, validate
from engine.errors import DomainError, Problem
from engine.recording import RecordResult, evaluate
from models import Shop


@dataclass
class Rejected:
    index: int  # position in the imported list
    problems: list[Problem]


@dataclass
class ImportResult:
    recorded: list[RecordResult] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        return sum(1 for r in self.recorded if r.duplicate)


async def import_activities(shop: Shop, items: list[ActivityInput]) -> ImportResult:
    """Record `items` in order, in one transaction, each exactly once.

    The result lists what each accepted activity gave (duplicates marked as such) and, by
    position, the problems of each rejected one; the others are committed regardless.
    """
    result = ImportResult()
    evaluations = []
    async with in_transaction():
        for index, data in enumerate(items):
            try:
                activity = validate(data, shop.currency)
                async with in_transaction() as savepoint:
                    recorded, evaluation = await evaluate(savepoint, shop, activity)
            except DomainError as error:
                result.rejected.append(Rejected(index, error.problems))
                continue
            result.recorded.append(recorded)
            evaluations.append((activity.kind.value, recorded.duplicate, evaluation))
    for kind, duplicate, evaluation in evaluations:
        telemetry.activity_recorded(kind, duplicate=duplicate)
        if evaluation is not None:
            evaluation.committed()
    return result
