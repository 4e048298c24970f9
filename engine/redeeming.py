"""Redeeming a code reward at checkout."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from engine import clock
from engine.enums import RewardEventType
from engine.errors import DomainError
from engine.evaluation import Evaluation
from engine.reward_events import SELECT_WITH_CONTEXT, event_of
from models import Shop, sql


async def redeem_reward(shop: Shop, code: str) -> int:
    """Mark the shop's reward with this code REDEEMED; returns its id.

    Errors: NOT_FOUND (no such code in this shop), REWARD_ALREADY_REDEEMED, REWARD_EXPIRED,
    REWARD_REVOKED.
    """
    now = clock.now()
    code = (code or "").strip().upper()
    async with in_transaction() as conn:
        row = await sql.fetch_one(
            conn,
            SELECT_WITH_CONTEXT + " WHERE r.shop_id = $1 AND r.code = $2",
            shop.id,
            code,
        )
        if row is None:
            raise DomainError.one("NOT_FOUND", "No reward with this code.", ("code",))
        expires_at = sql.to_datetime(row["expires_at"])
        changed = await sql.execute(
            conn,
            "UPDATE issued_rewards SET status = 'REDEEMED', redeemed_at = $1 WHERE id = $2"
            " AND status = 'ISSUED' AND (expires_at IS NULL OR expires_at > $1)",
            now,
            int(row["id"]),
        )
        if not changed:
            raise _why_not(row["status"], expires_at, now)
        evaluation = Evaluation(conn, shop.id, int(row["customer_id"]), row["external_id"], now, now)
        evaluation.add_event(event_of(row, RewardEventType.REWARD_REDEEMED, "REDEEMED"))
        await evaluation.append_events()
    evaluation.committed()
    return int(row["id"])


def _why_not(status: str, expires_at, now) -> DomainError:
    if status == "REDEEMED":
        return DomainError.one("REWARD_ALREADY_REDEEMED", "This code was already redeemed.", ("code",))
    if status == "REVOKED":
        return DomainError.one("REWARD_REVOKED", "This reward was revoked.", ("code",))
    return DomainError.one("REWARD_EXPIRED", "This code has expired.", ("code",))
