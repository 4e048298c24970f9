"""What every resolver can reach: the caller's key, shop and role, and per-operation loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strawberry.types import Info as StrawberryInfo

from engine.core.enums import Role
from models import ApiKey, Shop


@dataclass
class Following:
    """What a subscription tells the transport that shares it between sockets (api/fanout.py):
    `live` once it follows the log (every commit from then on reaches it), `from_now` when it
    asked for no cursor (a socket may then share it from wherever it is), and the `position`
    of the event it is delivering."""

    live: bool = False
    from_now: bool = False
    position: int | None = None


@dataclass
class Context:
    request: Any
    response: Any
    api_key: ApiKey | None = None
    request_id: str = ""
    connection_params: dict[str, Any] | None = None
    loaders: dict[str, Any] = field(default_factory=dict)
    following: Following = field(default_factory=Following)

    @property
    def shop(self) -> Shop:
        assert self.api_key is not None
        return self.api_key.shop

    @property
    def role(self) -> Role | None:
        return Role(self.api_key.role) if self.api_key else None

    def loader(self, name: str, factory):
        """A DataLoader cached for this context (one operation over HTTP)."""
        if name not in self.loaders:
            self.loaders[name] = factory()
        return self.loaders[name]


Info = StrawberryInfo[Context, None]
