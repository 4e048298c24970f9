"""Who may do what (docs/concepts.md, "Shops and keys"): permission classes that answer with code FORBIDDEN."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from engine.core.enums import Role


class _RolePermission(BasePermission):
    roles: frozenset[Role] = frozenset()
    message = "Your API key's role may not do this."
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info, **kwargs: Any) -> bool:
        return info.context.role in self.roles


class IsAdmin(_RolePermission):
    roles = frozenset({Role.ADMIN})


class IsAdminOrPartner(_RolePermission):
    roles = frozenset({Role.ADMIN, Role.PARTNER})


class IsStorefront(_RolePermission):
    roles = frozenset({Role.STOREFRONT})


class IsAnyRole(_RolePermission):
    roles = frozenset(Role)
