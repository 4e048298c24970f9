"""The Relay `Node` interface: every object with a global id implements it, so that any id
the API ever answered can be read back with `node(id:)` (resolvers/nodes.py)."""

from __future__ import annotations

import strawberry


@strawberry.interface(
    description="An object with a global id, readable again with `node(id:)` and `nodes(ids:)`."
)
class Node:
    @strawberry.field(description="Global id: `gid://milestones/<Type>/<number>`.")
    def id(self) -> strawberry.ID:
        raise NotImplementedError
