"""How the docs test reads a page: blocks with their variables and answers, placeholders the
prose defines, and the values that may differ from one run to the next."""

from __future__ import annotations

import hashlib
import hmac

from tests.doc_examples import Reader, blocks_of, differences

PAGE = '''# A page

Intro: `<X>` is `a.b` from the answer above (quoted before any answer: not a definition).

```graphql
mutation { createMilestoneRule(input: $input) { rule { id } } }
```

```json
{"input": {"name": "n"}}
```

```json
{"data": {"createMilestoneRule": {"rule": {"id": "gid://milestones/MilestoneRule/4"}}}}
```

`<RULE_ID>` is `createMilestoneRule.rule.id` from the answer above, and `<DIGEST>` is the hex
HMAC-SHA256 of `cust-1` keyed with `<RULE_ID>`.

```graphql
# as PARTNER
{ milestoneRule(id: "<RULE_ID>") { id } }
```

```graphql
type NotAnExample { id: ID! }
```
'''


def test_a_page_gives_its_operations_with_their_variables_answers_and_lines(tmp_path):
    (tmp_path / "page.md").write_text(PAGE)
    first, second = blocks_of(tmp_path / "page.md", tmp_path)
    assert (first.line, first.variables.strip(), first.role) == (5, '{"input": {"name": "n"}}', "ADMIN")
    assert first.answer == {"data": {"createMilestoneRule": {"rule": {"id": "gid://milestones/MilestoneRule/4"}}}}
    assert (second.line, second.variables, second.answer, second.role) == (20, None, None, "PARTNER")
    assert second.where == 'page.md:20 ({ milestoneRule(id: "<RULE_ID>") { id } })'


def test_placeholders_take_their_values_where_the_prose_defines_them(tmp_path):
    (tmp_path / "page.md").write_text(PAGE)
    first, second = blocks_of(tmp_path / "page.md", tmp_path)
    reader = Reader("http://unused", "msk_admin_x")
    assert reader.read_prose(first.prose) == []  # no answer above yet
    assert reader.fill(second.query)[1] == ["`<RULE_ID>` is used, but no sentence above defines it"]
    reader.last_answer = {"data": {"createMilestoneRule": {"rule": {"id": "gid://milestones/MilestoneRule/7"}}}}
    assert reader.read_prose(second.prose) == []
    assert reader.fill(second.query) == ('# as PARTNER\n{ milestoneRule(id: "gid://milestones/MilestoneRule/7") { id } }\n', [])
    expected = hmac.new(b"gid://milestones/MilestoneRule/7", b"cust-1", hashlib.sha256).hexdigest()
    assert reader.values["DIGEST"] == expected
    reader.close()


def test_a_promised_answer_allows_other_times_codes_ids_and_elided_text_only():
    promised = {
        "at": "2026-12-01T20:43:13.222750+00:00", "code": "MS-AAAA-BBBB-CCCC-DDDD",
        "id": "gid://milestones/Customer/9", "secret": "msk_partner_…", "n": 2,
    }
    real = {
        "at": "2027-01-02T03:04:05+00:00", "code": "MS-1234-5678-9ABC-DEF0",
        "id": "gid://milestones/Customer/3", "secret": "msk_partner_zzz", "n": 2,
    }
    assert differences(promised, real) == []
    assert differences(promised, {**real, "id": "gid://milestones/Activity/9", "n": 3, "extra": 1}) == [
        'at id: promised "gid://milestones/Customer/9", got "gid://milestones/Activity/9"',
        "at n: promised 2, got 3",
        "at extra: in the answer (1), not promised",
    ]
    assert differences({"list": [1, 2]}, {"list": [1]}) == ["at list: promised 2 items, got 1"]
