"""The schema: every subject's queries, mutations and subscriptions merged."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.tools import merge_types

from resolvers.activity.mutations import ActivityMutation
from resolvers.customers.choices import ChoiceMutation
from resolvers.customers.mutations import RewardMutation
from resolvers.customers.queries import CustomerQuery
from resolvers.customers.rewards import IssuedRewardQuery
from resolvers.error_codes import label_errors
from resolvers.events.queries import EventQuery
from resolvers.events.subscription import EventSubscription
from resolvers.execution import ExecutionContext
from resolvers.keys import KeyMutation, KeyQuery
from resolvers.limits import OperationLimits
from resolvers.masking import MaskUnexpectedErrors
from resolvers.nodes import NodeQuery
from resolvers.operation_facts import OperationFacts
from resolvers.rules.mutations import RuleMutation
from resolvers.rules.preview import RulePreviewQuery
from resolvers.rules.queries import RuleQuery
from resolvers.shop import ShopMutation, ShopQuery
from resolvers.stores.mutations import StoreMutation
from resolvers.stores.queries import StoreQuery
from resolvers.times import DATETIME
from resolvers.webhooks.mutations import WebhookMutation
from resolvers.webhooks.queries import WebhookQuery
from resolvers.widget import WidgetQuery

QUERIES: tuple[type, ...] = (
    ShopQuery, RuleQuery, RulePreviewQuery, CustomerQuery, IssuedRewardQuery, EventQuery, WebhookQuery,
    KeyQuery, WidgetQuery, StoreQuery, NodeQuery,
)
MUTATIONS: tuple[type, ...] = (
    RuleMutation, ShopMutation, ActivityMutation, RewardMutation, WebhookMutation, KeyMutation,
    StoreMutation, ChoiceMutation,
)

Query = merge_types("Query", QUERIES)
Mutation = merge_types("Mutation", MUTATIONS)
SUBSCRIPTIONS: tuple[type, ...] = (EventSubscription,)
Subscription = merge_types("Subscription", SUBSCRIPTIONS)



class Schema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        """Unexpected errors are logged, with their request id, where they are masked; the
        others get their standard code here."""
        label_errors(errors, execution_context)


schema = Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    execution_context_class=ExecutionContext,
    scalar_overrides={datetime: DATETIME},
    extensions=[
        MaskUnexpectedErrors,
        OperationFacts,
        OperationLimits,
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
    ],
)


def schema_sdl() -> str:
    return schema.as_str() + "\n"
