"""API keys: the admin creates, lists and revokes the shop's keys."""

from __future__ import annotations

from datetime import datetime

import strawberry

from engine.core.errors import DomainError
from engine.services import keys
from models import ApiKey as KeyRow
from resolvers.context import Info
from resolvers.enums import Role
from resolvers.errors import UserError, user_errors
from resolvers.node import Node
from resolvers.pagination import Connection, paginate
from resolvers.permissions import IsAdmin
from wire import ids


@strawberry.type(description="A bearer key of the shop. Its secret is never shown again.")
class ApiKey(Node):
    row: strawberry.Private[KeyRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return ids.encode("ApiKey", self.row.id)

    @strawberry.field
    def name(self) -> str:
        return self.row.name

    @strawberry.field
    def role(self) -> Role:
        return Role(self.row.role)

    @strawberry.field(description="The secret's first characters, to tell keys apart.")
    def prefix(self) -> str:
        return self.row.prefix

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field(description="Set once the key is revoked; it then authenticates nothing.")
    def revoked_at(self) -> datetime | None:
        return self.row.revoked_at


@strawberry.type
class CreateApiKeyPayload:
    api_key: ApiKey | None = None
    secret: str | None = strawberry.field(
        default=None,
        description="Send it as `Authorization: Bearer <secret>`. Shown only here, once: "
        "only its hash is stored.",
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RevokeApiKeyPayload:
    api_key: ApiKey | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _key_id(id: strawberry.ID) -> int:
    return ids.pk_of("ApiKey", id, "API key")


@strawberry.type
class KeyQuery:
    @strawberry.field(permission_classes=[IsAdmin], description="The shop's API keys, oldest first.")
    async def api_keys(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        include_revoked: bool = False,
    ) -> Connection[ApiKey]:
        query = KeyRow.filter(shop_id=info.context.shop.id)
        if not include_revoked:
            query = query.filter(revoked_at=None)
        return await paginate(query, first, after, lambda row: ApiKey(row=row))


@strawberry.type
class KeyMutation:
    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="A new key of the shop with `role`; the payload's `secret` is the only "
        "time it is shown.",
    )
    async def create_api_key(self, info: Info, role: Role, name: str = "") -> CreateApiKeyPayload:
        try:
            new = await keys.create_key(info.context.shop, role, name)
        except DomainError as error:
            return CreateApiKeyPayload(user_errors=user_errors(error, prefix=None))
        return CreateApiKeyPayload(api_key=ApiKey(row=new.key), secret=new.secret)

    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="The key stops working at once, over HTTP and on open websockets.",
    )
    async def revoke_api_key(self, info: Info, id: strawberry.ID) -> RevokeApiKeyPayload:
        try:
            row = await keys.revoke_key(info.context.shop, _key_id(id))
        except DomainError as error:
            return RevokeApiKeyPayload(user_errors=user_errors(error, prefix=None))
        return RevokeApiKeyPayload(api_key=ApiKey(row=row))
