"""SUBSCRIPTION_CYCLES rules: consecutive successful billings of each subscription contract.

A contract's count is the fold of its billings and cancellations in the order they happened:
each billing the rule counts adds a cycle, a cancellation (or expiry) resets it to 0. The
customer's progress is their best contract now; a milestone is earned once per customer, by
the first contract to reach it, so grants follow the best count ever reached.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from engine.core.activities import Activity
from engine.core.enums import ActivityKind
from engine.core.rules import Rule
from engine.core.state import fact_order

SUBSCRIPTION_KINDS = frozenset({ActivityKind.SUBSCRIPTION_BILLED, ActivityKind.SUBSCRIPTION_CANCELLED})


@dataclass(frozen=True)
class Contract:
    contract_id: str
    cycles: int
    cancelled: bool

    @property
    def status(self) -> str:
        return "CANCELLED" if self.cancelled else "ACTIVE"


@dataclass(frozen=True)
class Contracts:
    contracts: tuple[Contract, ...]  # in the order they were first billed
    best: int  # the best contract's cycles now
    peak: int  # the most cycles any contract has reached


def fold(rule: Rule | None, activities: Iterable[Activity]) -> Contracts:
    """Each contract's cycles as `rule` counts them (every billing when `rule` is None)."""
    cycles: dict[str, int] = {}
    cancelled: dict[str, bool] = {}
    peak = 0
    for activity in sorted((a for a in activities if a.kind in SUBSCRIPTION_KINDS), key=fact_order):
        contract = activity.contract_id or ""
        if activity.kind == ActivityKind.SUBSCRIPTION_CANCELLED:
            cycles[contract], cancelled[contract] = 0, True
            continue
        cancelled[contract] = False
        counted = rule is None or rule.counts(activity.occurred_at)
        cycles[contract] = cycles.get(contract, 0) + (1 if counted else 0)
        peak = max(peak, cycles[contract])
    found = tuple(Contract(c, cycles.get(c, 0), cancelled[c]) for c in cancelled)
    return Contracts(found, max((c.cycles for c in found), default=0), peak)
