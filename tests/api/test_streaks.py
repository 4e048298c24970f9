"""STREAK rules through the API (docs/concepts.md, "Streaks"): calendar periods in the shop's
time zone, a streak broken by a period without enough activity and restarted, each milestone
once per streak, late activity counted where it happened, minimums, refunds and the sweep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.services import clock
from models import Customer, IssuedReward, Milestone, RuleProgress
from tests.builders import make_rule, order, points, refund, review
from tests.isolation_support import snapshot

NY = "America/New_York"

PROGRESS = """
query($externalId: String!) {
  customer(externalId: $externalId) {
    pointsBalance
    progress { rule { id } value nextThreshold
      streak { currentStreak bestStreak period periodStartsAt periodEndsAt periodValue periodMinimum periodMet }
      milestones { status milestone { threshold } issuedReward { status } } }
  }
}"""
SWEEP = """mutation($asOf: DateTime, $dryRun: Boolean) {
  runInactivitySweep(asOf: $asOf, dryRun: $dryRun) {
    streaksBroken customersScanned byRule { rule { name } streaksBroken } userErrors { field code } } }"""
CREATE = """mutation($input: MilestoneRuleInput!) {
  createMilestoneRule(input: $input) { rule { id type period streakMetric minimumPerPeriod }
    userErrors { field code message } } }"""
UPDATE = """mutation($id: ID!, $input: MilestoneRuleUpdateInput!) {
  updateMilestoneRule(id: $id, input: $input) { rule { id period streakMetric minimumPerPeriod }
    userErrors { field code message } } }"""


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


async def order_at(shop, move, customer: str, when: str, total: str = "10.00", **extra) -> dict:
    """An order placed at `when` and recorded a minute later."""
    move(at(when) + timedelta(minutes=1))
    result = await order(shop, customer, total, occurredAt=when, **extra)
    assert result["userErrors"] == [], result["userErrors"]
    return result


async def progress(shop, external_id: str, rule_id: str) -> dict:
    data = (await shop.gql(PROGRESS, {"externalId": external_id}))["customer"]
    return next(p for p in data["progress"] if p["rule"]["id"] == rule_id)


async def grant_keys(shop, external_id: str) -> list[tuple[str, str, str]]:
    """(grant key, status, milestone threshold) of the customer's rewards, oldest first."""
    customer = await Customer.get(shop_id=shop.id, external_id=external_id)
    rows = await IssuedReward.filter(customer_id=customer.id).order_by("id")
    thresholds = dict(await Milestone.filter(id__in=[r.milestone_id for r in rows]).values_list("id", "threshold"))
    return [(r.grant_key, r.status, str(thresholds[r.milestone_id])) for r in rows]


async def stored_value(shop, external_id: str) -> int:
    """The customer's stored current streak (rule_progress.value), which the sweep closes."""
    customer = await Customer.get(shop_id=shop.id, external_id=external_id)
    return (await RuleProgress.get(customer_id=customer.id)).value


async def with_progress(shop, rule_id: str) -> int:
    query = "query($id: ID!) { milestoneRule(id: $id) { stats { customersWithProgress } } }"
    return (await shop.gql(query, {"id": rule_id}))["milestoneRule"]["stats"]["customersWithProgress"]


async def sweep(shop, as_of: datetime | None = None, dry_run: bool = False) -> dict:
    variables = {"asOf": as_of.isoformat() if as_of else None, "dryRun": dry_run}
    return (await shop.gql(SWEEP, variables))["runInactivitySweep"]


def streak_rule(shop, milestones, **fields):
    return make_rule(shop, "STREAK", milestones, **{"period": "MONTH", "streakMetric": "ORDERS", **fields})


async def test_a_monthly_streak_counts_in_the_shops_time_zone_breaks_on_an_empty_month_and_restarts(shops):
    shop = await shops(timezone=NY)
    with clock.frozen(at("2027-01-05T10:00:00-05:00")) as move:
        rule = await streak_rule(shop, [(3, points(100)), (6, points(500))])
        await order_at(shop, move, "ann", "2027-01-20T10:00:00-05:00")
        assert (await order_at(shop, move, "ann", "2027-02-10T10:00:00-05:00"))["issuedRewards"] == []
        # Clocks go forward on 14 March 2027 in New York; 23:30 on 31 March there is already
        # April in UTC, and the order counts in March.
        third = await order_at(shop, move, "ann", "2027-03-31T23:30:00-04:00")
        assert [r["milestone"]["threshold"] for r in third["issuedRewards"]] == ["3"]
        shown = await progress(shop, "ann", rule["id"])
        assert shown["value"] == "3" and shown["nextThreshold"] == "6"
        assert shown["streak"] == {
            "currentStreak": 3, "bestStreak": 3, "period": "MONTH",
            "periodStartsAt": "2027-03-01T05:00:00+00:00", "periodEndsAt": "2027-04-01T04:00:00+00:00",
            "periodValue": "1", "periodMinimum": "1", "periodMet": True,
        }
        assert [(m["status"], m["issuedReward"]) for m in shown["milestones"]] == [
            ("REACHED", {"status": "ISSUED"}), ("NEXT", None),
        ]

        # April is open and empty: the streak still stands on March.
        move(at("2027-04-20T12:00:00-04:00"))
        shown = (await progress(shop, "ann", rule["id"]))["streak"]
        assert (shown["currentStreak"], shown["periodValue"], shown["periodMet"]) == (3, "0", False)
        assert (await sweep(shop))["streaksBroken"] == 0

        # April ended without an order: broken, shown so at once, stored so by the sweep.
        move(at("2027-05-02T12:00:00-04:00"))
        shown = await progress(shop, "ann", rule["id"])
        assert (shown["value"], shown["streak"]["currentStreak"], shown["streak"]["bestStreak"]) == ("0", 0, 3)
        assert [(m["status"], m["issuedReward"]) for m in shown["milestones"]] == [("NEXT", None), ("LOCKED", None)]
        assert await stored_value(shop, "ann") == 3 and await with_progress(shop, rule["id"]) == 1
        dry = await sweep(shop, dry_run=True)
        assert dry["streaksBroken"] == 1 and await stored_value(shop, "ann") == 3
        swept = await sweep(shop)
        assert swept["streaksBroken"] == 1 and swept["customersScanned"] == 0
        assert swept["byRule"] == [{"rule": {"name": "STREAK rule"}, "streaksBroken": 1}]
        assert await stored_value(shop, "ann") == 0
        assert await with_progress(shop, rule["id"]) == 0  # reports see the streak broken
        assert (await sweep(shop))["streaksBroken"] == 0  # idempotent

        # A new streak: May, June, July reach the 3-month milestone again, under a new key.
        await order_at(shop, move, "ann", "2027-05-02T12:05:00-04:00")
        await order_at(shop, move, "ann", "2027-06-15T11:00:00-04:00")
        again = await order_at(shop, move, "ann", "2027-07-01T00:05:00-04:00")
        assert [r["milestone"]["threshold"] for r in again["issuedRewards"]] == ["3"]
        shown = await progress(shop, "ann", rule["id"])
    assert (shown["streak"]["currentStreak"], shown["streak"]["bestStreak"]) == (3, 3)
    assert await grant_keys(shop, "ann") == [("st:20270101", "ISSUED", "3"), ("st:20270501", "ISSUED", "3")]
    assert (await shop.gql(PROGRESS, {"externalId": "ann"}))["customer"]["pointsBalance"] == 200


async def test_a_late_order_in_a_closed_month_repairs_the_run_it_belongs_to(shops):
    shop = await shops(timezone=NY)
    with clock.frozen(at("2027-01-02T10:00:00-05:00")) as move:
        rule = await streak_rule(shop, [(3, points(100))])
        await order_at(shop, move, "bo", "2027-01-10T10:00:00-05:00")
        await order_at(shop, move, "bo", "2027-02-10T10:00:00-05:00")
        await order_at(shop, move, "bo", "2027-04-10T10:00:00-04:00")
        move(at("2027-06-02T10:00:00-04:00"))  # May ended empty too
        assert (await sweep(shop))["streaksBroken"] == 1
        # The store's webhook for an order placed in March arrives in June: it counts in March,
        # so January to April is a run of 4 and reaches the milestone; May still broke it.
        late = await order(shop, "bo", order_id="march", occurredAt="2027-03-15T10:00:00-04:00")
        assert [r["milestone"]["threshold"] for r in late["issuedRewards"]] == ["3"]
        shown = await progress(shop, "bo", rule["id"])
        assert (shown["streak"]["currentStreak"], shown["streak"]["bestStreak"]) == (0, 4)
        again = await order(shop, "bo", order_id="march", occurredAt="2027-03-15T10:00:00-04:00")
        assert again["duplicate"] is True  # answered as the first time, nothing granted again
        # A late May order mends May too: the streak is alive again, and already holds its 3.
        may = await order(shop, "bo", occurredAt="2027-05-20T10:00:00-04:00")
        assert may["issuedRewards"] == []
        shown = await progress(shop, "bo", rule["id"])
    assert (shown["streak"]["currentStreak"], shown["streak"]["bestStreak"]) == (5, 5)
    assert await grant_keys(shop, "bo") == [("st:20270101", "ISSUED", "3")]  # once per streak


async def test_a_weekly_streak_runs_on_iso_weeks_from_monday_in_the_shops_time_zone(shops):
    shop = await shops(timezone=NY)
    with clock.frozen(at("2027-01-01T09:00:00-05:00")) as move:
        rule = await streak_rule(shop, [(3, points(30))], period="WEEK")
        # Sunday 23:00 in New York is Monday in UTC: it counts in the week of 28 December.
        await order_at(shop, move, "cy", "2027-01-03T23:00:00-05:00")
        await order_at(shop, move, "cy", "2027-01-05T09:00:00-05:00")
        third = await order_at(shop, move, "cy", "2027-01-11T00:20:00-05:00")
        assert [r["milestone"]["threshold"] for r in third["issuedRewards"]] == ["3"]
        shown = (await progress(shop, "cy", rule["id"]))["streak"]
        assert shown["period"] == "WEEK" and shown["currentStreak"] == 3
        assert (shown["periodStartsAt"], shown["periodEndsAt"]) == ("2027-01-11T05:00:00+00:00", "2027-01-18T05:00:00+00:00")
        move(at("2027-01-25T00:00:00-05:00"))  # the week of 18 January ended empty
        assert (await progress(shop, "cy", rule["id"]))["streak"]["currentStreak"] == 0


async def test_a_minimum_by_amount_needs_that_much_in_each_month_and_a_refund_lowers_the_orders_month(shops):
    shop = await shops(timezone=NY)
    with clock.frozen(at("2027-01-02T10:00:00-05:00")) as move:
        keep = await streak_rule(shop, [(2, points(10))], streakMetric="AMOUNT_SPENT", minimumPerPeriod="20.00")
        revoke = await streak_rule(
            shop, [(2, points(20))], streakMetric="AMOUNT_SPENT", minimumPerPeriod="20", refundPolicy="REVOKE_UNREDEEMED"
        )
        await order_at(shop, move, "di", "2027-01-05T10:00:00-05:00", "15.00")
        await order_at(shop, move, "di", "2027-01-06T10:00:00-05:00", "10.00")
        await order_at(shop, move, "di", "2027-02-10T10:00:00-05:00", "19.99", order_id="feb-1")
        shown = (await progress(shop, "di", keep["id"]))["streak"]
        assert (shown["currentStreak"], shown["periodValue"], shown["periodMinimum"], shown["periodMet"]) == (
            1, "19.99", "20.00", False,
        )
        second = await order_at(shop, move, "di", "2027-02-11T10:00:00-05:00", "0.01")
        assert sorted(r["reward"]["points"] for r in second["issuedRewards"]) == [10, 20]
        # A refund counts in its order's month: February falls to 19.00 and holds no more.
        taken = await refund(shop, "di", "feb-1", "1.00")
        assert taken["issuedRewards"] == [] and taken["userErrors"] == []
        shown = (await progress(shop, "di", keep["id"]))["streak"]
        # February is still open: the streak stands on January alone.
        assert (shown["currentStreak"], shown["periodValue"], shown["periodMet"]) == (1, "19.00", False)
    rewards = await grant_keys(shop, "di")
    assert sorted(rewards) == [("st:20270101", "ISSUED", "2"), ("st:20270101", "REVOKED", "2")]
    assert (await shop.gql(PROGRESS, {"externalId": "di"}))["customer"]["pointsBalance"] == 10
    assert revoke["id"] != keep["id"]


async def test_a_reviews_streak_activated_with_past_activity_grants_what_the_log_reaches(shops):
    shop = await shops(timezone=NY)
    with clock.frozen(at("2027-04-10T10:00:00-04:00")):
        for day in ("2027-01-31T23:59:00-05:00", "2027-02-01T00:01:00-05:00", "2027-03-01T08:00:00-05:00"):
            await review(shop, "ed", occurredAt=day)
        rule = await streak_rule(shop, [(3, points(50))], streakMetric="REVIEWS", past=True)
        shown = await progress(shop, "ed", rule["id"])
    assert (shown["streak"]["currentStreak"], shown["streak"]["bestStreak"]) == (3, 3)
    assert await grant_keys(shop, "ed") == [("st:20270101", "ISSUED", "3")]


async def test_streak_settings_are_validated_with_codes_and_paths_and_nothing_is_written(shops):
    shop = await shops()
    await shop.key()
    before = await snapshot(shop.id)

    async def errors(**fields) -> list[tuple[list[str], str]]:
        milestones = fields.pop("milestones", [{"threshold": "3", "reward": points(10)}])
        input = {"name": "Streak", "type": "STREAK", "milestones": milestones, **fields}
        payload = (await shop.gql(CREATE, {"input": input}))["createMilestoneRule"]
        assert payload["rule"] is None
        return [(e["field"], e["code"]) for e in payload["userErrors"]]

    assert await errors() == [(["input", "period"], "INVALID"), (["input", "streakMetric"], "INVALID")]
    base = {"period": "MONTH", "streakMetric": "ORDERS"}
    assert await errors(**base, minimumPerPeriod="1.5") == [(["input", "minimumPerPeriod"], "INVALID")]
    assert await errors(**base, minimumPerPeriod="0") == [(["input", "minimumPerPeriod"], "INVALID")]
    amount = {"period": "WEEK", "streakMetric": "AMOUNT_SPENT"}
    assert await errors(**amount, minimumPerPeriod="0.001") == [(["input", "minimumPerPeriod"], "INVALID")]
    assert await errors(**base, milestones=[{"threshold": "2.5", "reward": points(1)}]) == [
        (["input", "milestones", "0", "threshold"], "INVALID")
    ]
    assert await errors(**base, milestones=[{"threshold": "6", "reward": points(1)}, {"threshold": "3", "reward": points(1)}]) == [
        (["input", "milestones", "1", "threshold"], "THRESHOLDS_NOT_INCREASING")
    ]
    assert await errors(type="ORDERS_COUNT", period="WEEK", streakMetric="ORDERS", minimumPerPeriod="2") == [
        (["input", "period"], "INVALID"), (["input", "streakMetric"], "INVALID"), (["input", "minimumPerPeriod"], "INVALID"),
    ]
    assert await snapshot(shop.id) == before

    created = (await shop.gql(CREATE, {"input": {"name": "Streak", "type": "STREAK", **amount, "minimumPerPeriod": "25",
                                                  "milestones": [{"threshold": "3", "reward": points(10)}]}}))
    rule = created["createMilestoneRule"]["rule"]
    assert rule == {"id": rule["id"], "type": "STREAK", "period": "WEEK", "streakMetric": "AMOUNT_SPENT",
                    "minimumPerPeriod": "25.00"}
    cleared = (await shop.gql(UPDATE, {"id": rule["id"], "input": {"streakMetric": None}}))["updateMilestoneRule"]
    assert [(e["field"], e["code"]) for e in cleared["userErrors"]] == [(["input", "streakMetric"], "INVALID")]
    changed = (await shop.gql(UPDATE, {"id": rule["id"], "input": {"streakMetric": "REVIEWS", "minimumPerPeriod": None,
                                                                    "period": "MONTH"}}))["updateMilestoneRule"]
    assert changed["userErrors"] == []
    assert changed["rule"] == {"id": rule["id"], "period": "MONTH", "streakMetric": "REVIEWS", "minimumPerPeriod": None}


async def test_editing_a_live_streak_rule_recomputes_its_streaks_and_grants_what_they_now_reach(shops):
    shop = await shops(timezone=NY)
    with clock.frozen(at("2027-01-02T10:00:00-05:00")) as move:
        rule = await streak_rule(shop, [(4, points(100))], minimumPerPeriod="2")
        for when in ("2027-01-05T10:00:00-05:00", "2027-01-06T10:00:00-05:00", "2027-02-05T10:00:00-05:00",
                     "2027-03-05T10:00:00-05:00"):
            await order_at(shop, move, "fay", when)
        assert (await progress(shop, "fay", rule["id"]))["streak"]["bestStreak"] == 1
        # One order a month is enough now, and 3 months reach the milestone: granted at once.
        edited = await shop.gql(UPDATE, {"id": rule["id"], "input": {
            "minimumPerPeriod": None, "milestones": [{"threshold": "3", "reward": points(100)}]}})
        assert edited["updateMilestoneRule"]["userErrors"] == []
        shown = await progress(shop, "fay", rule["id"])
    assert (shown["value"], shown["streak"]["currentStreak"], shown["streak"]["bestStreak"]) == ("3", 3, 3)
    assert await grant_keys(shop, "fay") == [("st:20270101", "ISSUED", "3")]


async def test_the_period_of_a_rule_that_has_been_live_cannot_change(shops):
    shop = await shops(timezone=NY)
    with clock.frozen(at("2027-01-02T10:00:00-05:00")) as move:
        rule = await streak_rule(shop, [(3, points(100))])
        await order_at(shop, move, "gus", "2027-01-05T10:00:00-05:00")
        edited = await shop.gql(UPDATE, {"id": rule["id"], "input": {"period": "WEEK"}})
        assert [(e["field"], e["code"]) for e in edited["updateMilestoneRule"]["userErrors"]] == [
            (["input", "period"], "PERIOD_LOCKED")
        ]
        shown = await progress(shop, "gus", rule["id"])
    assert shown["streak"]["period"] == "MONTH"
