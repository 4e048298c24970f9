"""Times at the edges: a DateTime needs an offset and a UTC equivalent inside the calendar.
A mutation given one that has neither answers INVALID at the field and changes nothing; a
query argument is BAD_USER_INPUT; shifts by days (the sweep's cutoff, a code's expiry) stop
at the ends of the calendar instead of failing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.services import clock
from models import Activity, Customer, IssuedReward, MilestoneRule
from resolvers.times import UnusableTime, parse_datetime
from tests.builders import fixed, make_rule, order, points
from tests.isolation_support import snapshot

EDGES = {
    "the first day at +14:00": "0001-01-01T00:00:00+14:00",
    "the last second at -12:00": "9999-12-31T23:59:59-12:00",
    "no offset": "2026-01-15T10:30:00",
    "a date alone": "2026-01-15",
}
RECORD = {
    "recordOrder": ("RecordOrderInput", {"orderId": "o-1", "total": "10.00", "currency": "USD"}),
    "recordRefund": ("RecordRefundInput", {"refundId": "r-1", "orderId": "o-1", "amount": "1.00"}),
    "recordReview": ("RecordReviewInput", {"reviewId": "rv-1"}),
    "recordReferral": ("RecordReferralInput", {"referralId": "rf-1"}),
    "recordSubscriptionBilling": ("RecordSubscriptionBillingInput", {"billingId": "b-1", "contractId": "c-1"}),
    "recordSubscriptionCancellation": ("RecordSubscriptionCancellationInput", {"contractId": "c-1"}),
    "recordPointsEarned": ("RecordPointsEarnedInput", {"entryId": "p-1", "points": 5}),
    "recordSignup": ("RecordSignupInput", {}),
}


def errors_of(payload: dict) -> list[tuple[list[str], str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


@pytest.mark.parametrize("moment", EDGES.values(), ids=EDGES.keys())
async def test_every_record_mutation_refuses_an_unusable_occurred_at_and_changes_nothing(shops, moment):
    shop = await shops()
    await make_rule(shop, "ORDERS_COUNT", [(1, points(5))])
    before = await snapshot(shop.id)
    for mutation, (input_type, fields) in RECORD.items():
        input = {"customerExternalId": "edge", "occurredAt": moment, **fields}
        query = f"mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ activity {{ id }} userErrors {{ field code message }} }} }}"
        payload = (await shop.gql(query, {"input": input}))[mutation]
        assert payload["activity"] is None, mutation
        assert errors_of(payload) == [(["input", "occurredAt"], "INVALID")], mutation
        assert payload["userErrors"][0]["message"].startswith("occurredAt "), mutation
    assert await snapshot(shop.id) == before


async def test_an_offset_is_read_as_the_utc_time_it_names(shops):
    shop = await shops()
    for n, (given, utc) in enumerate([
        ("2026-01-15T10:30:00+02:00", "2026-01-15T08:30:00+00:00"),
        ("2026-01-15T10:30:00Z", "2026-01-15T10:30:00+00:00"),
        ("2026-01-15T00:30:00-14:00", "2026-01-15T14:30:00+00:00"),
    ]):
        await order(shop, "tz", order_id=f"tz-{n}", occurredAt=given)
        activity = await Activity.get(shop_id=shop.id, external_id=f"tz-{n}")
        assert activity.occurred_at.isoformat() == utc


RULE = """mutation($input: MilestoneRuleInput!) { createMilestoneRule(input: $input) {
  rule { id } userErrors { field code message } } }"""
UPDATE = """mutation($id: ID!, $input: MilestoneRuleUpdateInput!) { updateMilestoneRule(id: $id, input: $input) {
  rule { id } userErrors { field code message } } }"""


@pytest.mark.parametrize("moment", EDGES.values(), ids=EDGES.keys())
@pytest.mark.parametrize("field", ["startsAt", "endsAt"])
async def test_a_rule_window_refuses_an_unusable_time_on_create_and_update(shops, moment, field):
    shop = await shops()
    rule_input = {
        "name": "Window", "type": "ORDERS_COUNT",
        "milestones": [{"threshold": "1", "reward": points(1)}],
    }
    created = (await shop.gql(RULE, {"input": {**rule_input, field: moment}}))["createMilestoneRule"]
    assert created["rule"] is None
    assert errors_of(created) == [(["input", field], "INVALID")]
    assert await MilestoneRule.filter(shop_id=shop.id).count() == 0
    rule = await make_rule(shop, "ORDERS_COUNT", [(1, points(1))], activate=False)
    before = await snapshot(shop.id)
    updated = (await shop.gql(UPDATE, {"id": rule["id"], "input": {field: moment}}))["updateMilestoneRule"]
    assert errors_of(updated) == [(["input", field], "INVALID")]
    assert await snapshot(shop.id) == before


SWEEP = """mutation($asOf: DateTime) { runInactivitySweep(asOf: $asOf) {
  granted expired customersScanned userErrors { field code message } } }"""


@pytest.mark.parametrize(
    "moment", [*EDGES.values(), "1969-12-31T23:59:59+00:00"], ids=[*EDGES.keys(), "before 1970"]
)
async def test_the_sweep_refuses_an_unusable_or_pre_1970_as_of_and_changes_nothing(shops, moment):
    shop = await shops()
    await make_rule(shop, "INACTIVITY", [(1, points(5))])
    await make_rule(shop, "ORDERS_COUNT", [(1, fixed("5.00"))], rewardExpiryDays=1)
    with clock.frozen(datetime(2026, 1, 1, tzinfo=UTC)):
        await order(shop, "idle")
    before = await snapshot(shop.id)
    payload = (await shop.gql(SWEEP, {"asOf": moment}))["runInactivitySweep"]
    assert errors_of(payload) == [(["asOf"], "INVALID")]
    assert (payload["granted"], payload["expired"], payload["customersScanned"]) == (0, 0, 0)
    assert await snapshot(shop.id) == before


async def test_the_sweep_survives_a_threshold_beyond_the_calendar_and_the_calendars_last_day(shops):
    shop = await shops()
    await make_rule(shop, "INACTIVITY", [(10**12, points(5))])
    await order(shop, "idle")
    payload = (await shop.gql(SWEEP, {"asOf": None}))["runInactivitySweep"]
    assert payload["userErrors"] == [] and payload["granted"] == 0
    dry = SWEEP.replace("$asOf: DateTime)", "$asOf: DateTime, $dry: Boolean!)").replace(
        "runInactivitySweep(asOf: $asOf)", "runInactivitySweep(asOf: $asOf, dryRun: $dry)"
    )
    last = (await shop.gql(dry, {"asOf": "9999-12-31T23:59:59+00:00", "dry": True}))["runInactivitySweep"]
    assert last["userErrors"] == [] and last["granted"] == 0
    assert await IssuedReward.filter(shop_id=shop.id).count() == 0


async def test_a_code_issued_near_the_end_of_the_calendar_expires_on_its_last_moment(shops):
    shop = await shops()
    with clock.frozen(datetime(9999, 12, 20, tzinfo=UTC)):
        await make_rule(shop, "ORDERS_COUNT", [(1, fixed("5.00"))], rewardExpiryDays=30)
        issued = await order(shop, "late")
    assert issued["userErrors"] == []
    reward = await IssuedReward.get(shop_id=shop.id)
    assert reward.expires_at == datetime.max.replace(tzinfo=UTC)
    assert issued["issuedRewards"][0]["expiresAt"] == "9999-12-31T23:59:59.999999+00:00"
    assert await Customer.filter(shop_id=shop.id).count() == 1


ISSUED = "query($t: DateTime) { issuedRewards(issuedAfter: $t) { totalCount } }"


@pytest.mark.parametrize("moment", EDGES.values(), ids=EDGES.keys())
async def test_a_query_argument_with_an_unusable_time_is_bad_user_input(shops, moment):
    shop = await shops()
    body = await shop.raw(ISSUED, {"t": moment})
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    assert "issuedAfter" in body["errors"][0]["message"]


@pytest.mark.parametrize("text", ["yesterday", "2026-13-45T25:61:00+00:00", "", "2026-01-15T10:30:00+25:00"])
async def test_text_that_is_no_time_is_bad_user_input_in_a_mutation_too(shops, text):
    shop = await shops()
    body = await shop.raw(SWEEP, {"asOf": text})
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]


def test_the_scalar_reads_a_time_as_utc_and_marks_what_it_cannot_use():
    assert parse_datetime("2026-01-15T10:30:00+02:00") == datetime(2026, 1, 15, 8, 30, tzinfo=UTC)
    assert parse_datetime("0001-01-01T00:00:00Z") == datetime(1, 1, 1, tzinfo=UTC)
    for text in EDGES.values():
        assert isinstance(parse_datetime(text), UnusableTime), text
    assert isinstance(parse_datetime("9999-12-31T24:00:00Z"), UnusableTime)


def test_shifting_by_days_stops_at_the_ends_of_the_calendar():
    day = datetime(2026, 1, 1, tzinfo=UTC)
    assert clock.shifted(day, 30) == datetime(2026, 1, 31, tzinfo=UTC)
    assert clock.shifted(day, -(10**12)) == clock.EARLIEST
    assert clock.shifted(day, 10**12) == clock.LATEST
    assert clock.shifted(datetime(9999, 12, 31, tzinfo=UTC), 1) == clock.LATEST
