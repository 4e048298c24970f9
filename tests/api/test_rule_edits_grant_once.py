"""Exactly once, whatever the merchant edits: switching a live rule's refund policy, then
editing its milestones, refunding in full and ordering again grants each milestone once, or
again only after a revocation. And a rule's ladder cache follows every edit, even two in the
same instant."""

from __future__ import annotations

import pytest
import tortoise.timezone

from tests.builders import customer, order, points, progress_of, refund
from tests.rule_calls import UPDATE, active_rule, call, milestone

EDITS = {
    # A description changed: nothing about what counts.
    "description": lambda ids: [milestone("50", points(100), id=ids[0], description="Spend $50"),
                                milestone("100", points(300), id=ids[1])],
    # A milestone added above: what counts changed, so the rule is recomputed from the log.
    "a milestone added": lambda ids: [milestone("50", points(100), id=ids[0]),
                                      milestone("100", points(300), id=ids[1]), milestone("500", points(900))],
}


async def _rewards(shop, who: str) -> list[tuple[str, str]]:
    data = await customer(shop, who)
    return sorted((r["milestone"]["threshold"], r["status"]) for r in data["rewards"]["nodes"])


@pytest.mark.parametrize("edit", EDITS)
@pytest.mark.parametrize(("before", "after"), [("KEEP", "REVOKE_UNREDEEMED"), ("REVOKE_UNREDEEMED", "KEEP")])
async def test_a_policy_switch_on_a_live_rule_with_held_grants_never_grants_twice(shops, before, after, edit):
    shop = await shops()
    rule = await active_rule(
        shop, type="AMOUNT_SPENT", refundPolicy=before,
        milestones=[milestone("50", points(100)), milestone("100", points(300))],
    )
    ids = [m["id"] for m in rule["milestones"]]
    await order(shop, "pat", "120.00", order_id="first")
    assert (await customer(shop, "pat"))["pointsBalance"] == 400

    switched = await call(shop, UPDATE, id=rule["id"], input={"refundPolicy": after, "milestones": EDITS[edit](ids)})
    assert switched["userErrors"] == []
    assert await _rewards(shop, "pat") == [("100.00", "ISSUED"), ("50.00", "ISSUED")]
    assert (await customer(shop, "pat"))["pointsBalance"] == 400

    await refund(shop, "pat", "first", "120.00")
    await order(shop, "pat", "120.00", order_id="second")
    data = await customer(shop, "pat")
    assert progress_of(data, rule["id"])["value"] == "120.00"
    if after == "KEEP":  # nothing was revoked, so nothing is granted again
        assert await _rewards(shop, "pat") == [("100.00", "ISSUED"), ("50.00", "ISSUED")]
        assert data["pointsBalance"] == 400
    else:  # revoked by the refund, granted again by the new order: one live grant each
        assert await _rewards(shop, "pat") == [
            ("100.00", "ISSUED"), ("100.00", "REVOKED"), ("50.00", "ISSUED"), ("50.00", "REVOKED")
        ]
        assert data["pointsBalance"] == 400


async def test_a_second_edit_in_the_same_instant_is_seen_by_the_next_order(shops, monkeypatch):
    shop = await shops()
    rule = await active_rule(shop, milestones=[milestone("5", points(1))])
    await order(shop, "kay")  # this process now holds the rule's ladder
    frozen = tortoise.timezone.now()
    monkeypatch.setattr(tortoise.timezone, "now", lambda: frozen)  # updated_at cannot move
    [first] = rule["milestones"]
    for threshold in ("3", "2"):
        edited = await call(shop, UPDATE, id=rule["id"], input={"milestones": [milestone(threshold, points(1), id=first["id"])]})
        assert edited["userErrors"] == []
    second = await order(shop, "kay")
    assert [r["milestone"]["threshold"] for r in second["issuedRewards"]] == ["2"]
