"""Reading import files: the formats told apart, lines turned into the engine's inputs as the
API's inputs turn them, what refuses a file."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from engine.core.enums import ActivityKind
from importer.activity_json import MEMBER_OF, Unusable, activity_of, parse_line
from importer.lines import FileRefused
from importer.run import guess_format
from resolvers.activity.inputs import MEMBERS, ActivityInput, RecordOrderInput
from resolvers.schema import schema


def test_every_member_of_the_schemas_activity_input_is_a_kind_a_file_may_hold():
    members = set(schema._schema.get_type("ActivityInput").fields)
    assert members == set(MEMBER_OF.values()) == {name for _, name, _ in MEMBERS}
    assert set(MEMBER_OF) == set(ActivityKind)
    assert ActivityInput.__strawberry_definition__.is_one_of  # type: ignore[attr-defined]


def test_an_ndjson_line_gives_what_the_mutation_input_gives():
    line = ('{"order": {"customerExternalId": "c1", "orderId": "1001", "total": 12.10, "currency": "USD",'
            ' "occurredAt": "2025-03-01T10:00:00+01:00", "email": "a@example.com"}}')
    given = RecordOrderInput(customer_external_id="c1", order_id="1001", total=Decimal("12.10"), currency="USD",
                             occurred_at=datetime(2025, 3, 1, 9, tzinfo=UTC), email="a@example.com")
    assert activity_of(parse_line(line)) == given.to_activity()


@pytest.mark.parametrize(("line", "reason"), [
    ('{"order": {"customerExternalId": "c1", "orderId": "1", "currency": "USD"}}', "order: total is required"),
    ('{"review": {"customerExternalId": "c1", "reviewId": 7}}', "review.reviewId: String cannot represent 7"),
    ('{"pointsEarned": {"customerExternalId": "c1", "entryId": "e", "points": "5"}}',
     "pointsEarned.points: Int cannot represent '5'"),
    ('{"signup": {"customerExternalId": "c1", "occurredAt": "2025-03-01T10:00:00"}}',
     "INVALID at signup.occurredAt: occurredAt has no UTC offset"),
    ('{"referral": {"customerExternalId": "c1", "referralId": "r", "extra": 1}}',
     "referral.extra: RecordReferralInput has no field 'extra'"),
])
def test_a_line_the_api_would_refuse_is_unusable_and_says_where(line, reason):
    with pytest.raises(Unusable) as refused:
        activity_of(parse_line(line))
    assert str(refused.value).startswith(reason)


@pytest.mark.parametrize(("line", "reason"), [
    ('{"order": {"customerExternalId"', "is not JSON"),
    ("[1, 2]", "is not a JSON object"),
    ('{"purchase": {}}', "names the unknown kind 'purchase'"),
    ("{}", "names 0 kinds"),
])
def test_a_line_of_another_shape_refuses_the_file(line, reason):
    with pytest.raises(FileRefused) as refused:
        activity_of(parse_line(line))
    assert reason in str(refused.value)


def test_the_format_comes_from_the_name_and_a_jsonl_files_first_object(tmp_path):
    shopify, ours = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    shopify.write_text('\n{"id": "gid://shopify/Order/1"}\n')
    ours.write_text('{"review": {"customerExternalId": "c", "reviewId": "r"}}\n')
    assert [guess_format(p) for p in (shopify, ours)] == ["shopify-jsonl", "ndjson"]
    assert guess_format(tmp_path / "x.ndjson") == "ndjson" and guess_format(tmp_path / "x.CSV") == "csv"
    with pytest.raises(FileRefused):
        guess_format(tmp_path / "x.txt")
