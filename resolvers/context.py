"""What every resolver can reach: the caller's key, shop and role, and per-operation loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strawberry.types import Info as StrawberryInfo

from engine.core.enums import Role
from models import ApiKey, Shop


@dataclass
class Context:
    request: Any
    response: Any
    api_key: ApiKey | None = None
    request_id: str = ""
    connection_params: dict[str, Any] | None = None
    loaders: dict[str, Any] = field(default_factory=dict)

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
