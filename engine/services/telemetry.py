"""What the domain reports for monitoring, without knowing who listens.

The engine calls these functions at the moments worth counting; the API registers the real
observer (Prometheus) at start-up. Until then, and in plain scripts, they do nothing.
"""

from __future__ import annotations

from typing import Protocol


class Observer(Protocol):
    def observe_activity(self, kind: str, duplicate: bool) -> None: ...
    def observe_reward_issued(self, kind: str) -> None: ...
    def observe_sweep(self, seconds: float, granted: int, *, failed: bool = False) -> None: ...
    def observe_webhook(self, success: bool) -> None: ...
    def observe_retry(self, work: str, kind: str) -> None: ...


_observers: list[Observer] = []


def install(observer: Observer) -> None:
    if observer not in _observers:
        _observers.append(observer)


def activity_recorded(kind: str, *, duplicate: bool = False) -> None:
    """An activity of `kind` (e.g. "ORDER_PLACED") was stored, or absorbed as a duplicate."""
    for observer in _observers:
        observer.observe_activity(kind, duplicate)


def reward_issued(kind: str) -> None:
    """A reward of `kind` (e.g. "POINTS", "PERCENTAGE_DISCOUNT") was issued and committed."""
    for observer in _observers:
        observer.observe_reward_issued(kind)


def sweep_finished(seconds: float, granted: int, *, failed: bool = False) -> None:
    for observer in _observers:
        observer.observe_sweep(seconds, granted, failed=failed)


def conflict_retried(work: str, kind: str) -> None:
    """A transaction of `work` met a concurrent one (`kind`) and runs again."""
    for observer in _observers:
        observer.observe_retry(work, kind)


def webhook_attempted(success: bool) -> None:
    for observer in _observers:
        observer.observe_webhook(success)
