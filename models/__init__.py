"""Tortoise models: the tables of the product, one module per subject."""

from models.activity import Activity, Order, SubscriptionContract
from models.customer import Customer, LedgerEntry
from models.event import RewardEvent
from models.keys import ApiKey
from models.progress import ContractProgress, RuleProgress
from models.reward import IssuedReward
from models.rule import Milestone, MilestoneRule, RuleChange
from models.shop import Shop
from models.store import StoreConnection, StoreDelivery
from models.webhook import WebhookDelivery, WebhookEndpoint

__all__ = [
    "Activity",
    "ApiKey",
    "ContractProgress",
    "Customer",
    "IssuedReward",
    "LedgerEntry",
    "Milestone",
    "MilestoneRule",
    "Order",
    "RewardEvent",
    "RuleChange",
    "RuleProgress",
    "Shop",
    "StoreConnection",
    "StoreDelivery",
    "SubscriptionContract",
    "WebhookDelivery",
    "WebhookEndpoint",
]
