"""Which events a caller asked for: by type and by customer, for the query and the subscription."""

from __future__ import annotations

from dataclasses import dataclass

import strawberry

from models import RewardEvent as RewardEventRow
from resolvers.enums import RewardEventType
from resolvers.error_codes import argument_pk


@dataclass(frozen=True)
class EventFilter:
    types: frozenset[str] | None = None
    customer_id: int | None = None

    def matches(self, row: RewardEventRow) -> bool:
        if self.types is not None and row.type not in self.types:
            return False
        return self.customer_id is None or row.customer_id == self.customer_id

    def lookups(self) -> dict[str, object]:
        """The same filter as ORM lookups."""
        found: dict[str, object] = {}
        if self.types is not None:
            found["type__in"] = sorted(self.types)
        if self.customer_id is not None:
            found["customer_id"] = self.customer_id
        return found


def event_filter(
    types: list[RewardEventType] | None, customer_id: strawberry.ID | None
) -> EventFilter:
    customer_pk = None
    if customer_id is not None:
        customer_pk = argument_pk("Customer", customer_id, "customerId")
    wanted = frozenset(RewardEventType(t).value for t in types) if types else None
    return EventFilter(types=wanted, customer_id=customer_pk)
