"""Redeeming a code reward at checkout."""

from __future__ import annotations

from datetime import datetime

from engine.core.decisions import Event
from engine.core.enums import IssuedRewardStatus, RewardEventType, RuleType
from engine.core.errors import DomainError
from engine.core.rules import RuleRef
from engine.services import clock, event_log
from engine.store import driver, events
from engine.store.driver import Fetch, Work
from engine.store.rules import REWARD_WITH_CONTEXT, grant_of
from engine.store.sql import to_datetime
from models import Shop


async def redeem_reward(shop: Shop, code: str) -> int:
    """Mark the shop's reward with this code REDEEMED; returns its id.

    Errors: NOT_FOUND (no such code in this shop), REWARD_ALREADY_REDEEMED, REWARD_EXPIRED,
    REWARD_REVOKED.
    """
    now = clock.now()
    code = (code or "").strip().upper()
    dialect = driver.dialect()
    reward_id, last_seq = await driver.run(lambda: _redeem(shop.id, code, now, dialect), label="redeem")
    await event_log.published(shop.id, last_seq)
    return reward_id


def _redeem(shop_id: int, code: str, now: datetime, dialect: str) -> Work[tuple[int, int | None]]:
    changed = yield Fetch(
        "UPDATE issued_rewards SET status = 'REDEEMED', redeemed_at = $1 WHERE shop_id = $2"
        " AND code = $3 AND status = 'ISSUED' AND (expires_at IS NULL OR expires_at > $1) RETURNING id",
        (now, shop_id, code),
    )
    rows = yield Fetch(REWARD_WITH_CONTEXT + " WHERE r.shop_id = $1 AND r.code = $2", (shop_id, code))
    if not rows:
        raise DomainError.one("NOT_FOUND", "No reward with this code.", ("code",))
    row = rows[0]
    if not changed:
        raise _why_not(row["grant_status"], to_datetime(row["expires_at"]), now)
    grant = grant_of(row)
    event = Event(
        RewardEventType.REWARD_REDEEMED,
        RuleRef(int(row["rule_id"]), row["rule_name"], RuleType(row["rule_type"])),
        grant,
        IssuedRewardStatus.REDEEMED,
    )
    last_seq = yield from events.append(
        shop_id, [events.EventRow.of(event, row["external_id"], int(row["grant_id"]))], now,
        sequenced=dialect == "sqlite",
    )
    return int(row["grant_id"]), last_seq


def _why_not(status: str, expires_at: datetime | None, now: datetime) -> DomainError:
    if status == IssuedRewardStatus.REDEEMED.value:
        return DomainError.one("REWARD_ALREADY_REDEEMED", "This code was already redeemed.", ("code",))
    if status == IssuedRewardStatus.REVOKED.value:
        return DomainError.one("REWARD_REVOKED", "This reward was revoked.", ("code",))
    return DomainError.one("REWARD_EXPIRED", "This code has expired.", ("code",))
