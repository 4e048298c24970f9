"""The executor class: Strawberry's, with flat memory over a long subscription.

graphql-core 3.3 runs each subscription event on a shallow copy of the operation's executor,
and the copies share the subfield memo, keyed by the identity of per-event lists: a socket
streaming events would keep about 1 KB of every event it ever sent. Each event gets its own memo.
"""

from __future__ import annotations

from typing import Any

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def build_per_event_executor(self, payload: Any):
        executor = super().build_per_event_executor(payload)
        if hasattr(executor, "_relevant_sub_fields"):
            executor._relevant_sub_fields = {}
        return executor
