"""Tortoise models: the tables of the product, one module per subject."""

from models.activity import Activity
from models.customer import Customer, LedgerEntry
from models.event import RewardEvent
from models.keys import ApiKey
from models.progress import RuleProgress
from models.reward import IssuedReward
from models.rule import Milestone, MilestoneRule, RuleChange
from models.shop import Shop
from models.store import StoreConnection, StoreDelivery
from models.webhook import WebhookDelivery, WebhookEndpoint

__all__ = [
    "Activity",
    "ApiKey",
    "Customer",
    "IssuedReward",
    "LedgerEntry",
    "Milestone",
    "MilestoneRule",
    "RewardEvent",
    "RuleChange",
    "RuleProgress",
    "Shop",
    "StoreConnection",
    "StoreDelivery",
    "WebhookDelivery",
    "WebhookEndpoint",
]
