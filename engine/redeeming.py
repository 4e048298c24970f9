"""Redeeming a code reward at checkout."""

from __future__ import annotations

import json

from tortoise.transactions import in_transaction

from engine import clock, events
from engine.enums import RewardEventType, RuleType
from engine.errors import DomainError
from engine.evaluation import Evaluation, PendingEvent
from engine.rulebook import RuleRef
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
            "SELECT r.id, r.customer_id, r.status, r.expires_at, r.kind, r.reward, r.code,"
            " r.issued_at, r.rule_id, m.id AS milestone_id, m.position, m.threshold,"
            " c.external_id, u.name AS rule_name, u.type AS rule_type"
            " FROM issued_rewards r JOIN milestones m ON m.id = r.milestone_id"
            " JOIN customers c ON c.id = r.customer_id JOIN milestone_rules u ON u.id = r.rule_id"
            " WHERE r.shop_id = $1 AND r.code = $2",
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
        rule = RuleRef(int(row["rule_id"]), row["rule_name"], RuleType(row["rule_type"]), None, None, None, None, None)
        definition = json.loads(row["reward"]) if isinstance(row["reward"], str) else row["reward"]
        evaluation.add_event(
            PendingEvent(
                RewardEventType.REWARD_REDEEMED, rule,
                {"id": row["milestone_id"], "position": row["position"], "threshold": row["threshold"]},
                int(row["id"]), row["kind"], definition, "REDEEMED", row["code"], expires_at,
                sql.to_datetime(row["issued_at"]),
            )
        )
        await evaluation.append_events()
    events.committed(shop.id, evaluation.last_seq)
    return int(row["id"])


def _why_not(status: str, expires_at, now) -> DomainError:
    if status == "REDEEMED":
        return DomainError.one("REWARD_ALREADY_REDEEMED", "This code was already redeemed.", ("code",))
    if status == "REVOKED":
        return DomainError.one("REWARD_REVOKED", "This reward was revoked.", ("code",))
    return DomainError.one("REWARD_EXPIRED", "This code has expired.", ("code",))
