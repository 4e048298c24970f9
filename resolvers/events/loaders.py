"""Loaders for the objects an event names. Ids come from the caller's own event rows."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from models import Customer, IssuedReward
from resolvers.loaders import index_by, loader


async def _customers(ids: list[int]) -> list[Customer | None]:
    return index_by(await Customer.filter(id__in=ids), ids)


async def _issued_rewards(ids: list[int]) -> list[IssuedReward | None]:
    return index_by(await IssuedReward.filter(id__in=ids), ids)


def customer_by_id(info) -> DataLoader:
    return loader(info, "customer_by_id", _customers)


def issued_reward_by_id(info) -> DataLoader:
    return loader(info, "issued_reward_by_id", _issued_rewards)
