"""Registering and removing webhook endpoints: input → engine call → payload with userErrors."""

from __future__ import annotations

import strawberry

from delivery import webhooks
from engine.core.errors import DomainError
from resolvers.context import Info
from resolvers.enums import RewardEventType
from resolvers.errors import UserError, user_errors
from resolvers.permissions import IsAdmin
from resolvers.webhooks.types import WebhookEndpoint
from wire import ids


@strawberry.type
class CreateWebhookEndpointPayload:
    webhook_endpoint: WebhookEndpoint | None = None
    secret: str | None = strawberry.field(
        default=None,
        description="Signs every delivery (header Milestones-Signature). Shown only here, once.",
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class WebhookEndpointPayload:
    webhook_endpoint: WebhookEndpoint | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteWebhookEndpointPayload:
    deleted_webhook_endpoint_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _endpoint_id(id: strawberry.ID) -> int:
    return ids.pk_of("WebhookEndpoint", id, "Webhook endpoint")


def _environment(info: Info) -> str:
    return info.context.request.app.state.settings.environment


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Deliver the shop's events of `types` (all when omitted), from now on, to "
        "`url`: HTTPS, or plain HTTP to localhost outside production. Outside development the "
        "host must resolve to public addresses only, at registration and at every delivery.",
    )
    async def create_webhook_endpoint(
        self, info: Info, url: str, types: list[RewardEventType] | None = None
    ) -> CreateWebhookEndpointPayload:
        try:
            row, secret = await webhooks.create_endpoint(
                info.context.shop,
                url,
                types,
                production=_environment(info) == "production",
                public_only=_environment(info) != "development",
            )
        except DomainError as error:
            return CreateWebhookEndpointPayload(user_errors=user_errors(error, prefix=None))
        return CreateWebhookEndpointPayload(
            webhook_endpoint=WebhookEndpoint(row=row), secret=secret
        )

    @strawberry.mutation(permission_classes=[IsAdmin], description="Stop deliveries for good.")
    async def delete_webhook_endpoint(
        self, info: Info, id: strawberry.ID
    ) -> DeleteWebhookEndpointPayload:
        try:
            await webhooks.delete_endpoint(info.context.shop, _endpoint_id(id))
        except DomainError as error:
            return DeleteWebhookEndpointPayload(user_errors=user_errors(error, prefix=None))
        return DeleteWebhookEndpointPayload(deleted_webhook_endpoint_id=id)

    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Resume a DISABLED endpoint at the event that failed every attempt.",
    )
    async def enable_webhook_endpoint(
        self, info: Info, id: strawberry.ID
    ) -> WebhookEndpointPayload:
        try:
            row = await webhooks.enable_endpoint(info.context.shop, _endpoint_id(id))
        except DomainError as error:
            return WebhookEndpointPayload(user_errors=user_errors(error, prefix=None))
        return WebhookEndpointPayload(webhook_endpoint=WebhookEndpoint(row=row))
