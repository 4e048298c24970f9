"""The executor class: Strawberry's, with flat memory over a long subscription.

graphql-core 3.3 runs each subscription event on a shallow copy of the operation's executor.
The copies share the subfield memo, keyed by the identity of per-event lists, so a socket
streaming events would keep about 1 KB of every event it ever sent: each event gets its own
memo. The copies also share the context, which lives as long as the socket: each event gets
a copy with no DataLoaders yet, so loaders cache for one event, never for the connection.
"""

from __future__ import annotations

import copy
from typing import Any

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def build_per_event_executor(self, payload: Any):
        executor = super().build_per_event_executor(payload)
        if hasattr(executor, "_relevant_sub_fields"):
            executor._relevant_sub_fields = {}
        context = executor.context_value
        if hasattr(context, "loaders"):
            event_context = copy.copy(context)
            event_context.loaders = {}
            executor.context_value = event_context
        return executor
