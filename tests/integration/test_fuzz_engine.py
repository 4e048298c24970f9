"""Hostile values straight into the engine: huge, negative and malformed amounts, absurd dates,
any unicode in names and ids, ids sent twice. Each call either is refused with a DomainError
and changes nothing, or is recorded, and afterwards the invariants hold: balances equal their
ledgers, no milestone is granted twice, lifetime figures stay sane.

Each generated input is plausible but for one field (sometimes none, sometimes all), so that
refusals are checked one cause at a time and accepted values still reach evaluation.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from engine.core.activities import ActivityInput
from engine.core.drafts import MilestoneDraft, RewardDraft, RuleDraft
from engine.core.enums import ActivityKind, MixedStepMetric, Plan, RefundPolicy, RewardKind, RuleType
from engine.core.errors import DomainError
from engine.services import rules, shops
from engine.services.clock import as_utc
from engine.services.recording import record_activity
from models import Customer, IssuedReward, LedgerEntry
from tests.isolation_support import snapshot
from tests.reporting import report

CASES: Counter[str] = Counter()
# Bounded for the suite; raise ENGINE_FUZZ_EXAMPLES for a longer hunt.
FUZZ = settings(
    max_examples=int(os.environ.get("ENGINE_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
EVERYTHING = "everything"

hostile_amounts = st.one_of(
    # Beyond Decimal's exponent range, no number at all, or just past the API's limits.
    st.sampled_from(
        [Decimal("1e999999999"), Decimal("-1e-999999999"), Decimal("sNaN"), Decimal("-Infinity"),
         Decimal("0.001"), Decimal("-0"), Decimal("999999999999999.99"), None]
    ),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.integers(-(10**30), 10**30).map(Decimal),
)
# Text the API can deliver: any unicode but lone surrogates and NUL, which JSON decoding and
# the API's boundary keep out (the API fuzz sends those over HTTP).
text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=300)
# A small pool, so that ids recur: duplicates, refunds of earlier orders, the same contract.
pooled_ids = st.sampled_from(["a", "b", "dup-1", "dup-2", "ü-1", "🙂"])
absurd_moments = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.one_of(
        st.none(), st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(-timedelta(hours=12))])
    ),
)
recent_moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2026, 6, 1), timezones=st.just(UTC)
)


def _pick(draw, hostile: str, field: str, plausible, hostile_values):
    return draw(hostile_values if hostile in (field, EVERYTHING) else plausible)


@st.composite
def activities(draw) -> ActivityInput:
    hostile = draw(st.sampled_from(["", "customer", "id", "moment", "amount", "currency", "points",
                                    "email", "reference", "source", EVERYTHING]))
    kind = draw(st.sampled_from(list(ActivityKind)))
    return ActivityInput(
        kind=kind,
        customer_external_id=_pick(draw, hostile, "customer", pooled_ids, text),
        external_id=_pick(draw, hostile, "id", pooled_ids, text),
        occurred_at=_pick(draw, hostile, "moment", st.one_of(st.none(), recent_moments), absurd_moments),
        email=_pick(draw, hostile, "email", st.just(None), text),
        amount=_pick(draw, hostile, "amount", st.decimals(0, 500, places=2), hostile_amounts),
        currency=_pick(draw, hostile, "currency", st.just("USD"), st.sampled_from(["usd", "EUR", "", "ÜSD"])),
        order_id=_pick(draw, hostile, "reference", pooled_ids, text),
        contract_id=_pick(draw, hostile, "reference", pooled_ids, text),
        points=_pick(draw, hostile, "points", st.integers(1, 50), st.integers(-(10**20), 10**20)),
        source=_pick(draw, hostile, "source", st.just("quiz"), text),
    )


def _reward(draw, hostile: bool) -> RewardDraft:
    money = hostile_amounts if hostile else st.decimals(1, 100, places=2)
    kind = draw(st.sampled_from(list(RewardKind)))
    return RewardDraft(
        kind=kind,
        points=draw(st.integers(-(10**20), 10**20) if hostile else st.integers(1, 500)),
        amount=draw(money),
        minimum_subtotal=draw(st.one_of(st.none(), money)),
        percent=draw(hostile_amounts if hostile else st.decimals(1, 100, places=2)),
        max_shipping_amount=draw(st.one_of(st.none(), money)),
        product_id=draw(text if hostile else st.just("shirt")),
        variant_id=draw(st.one_of(st.none(), text) if hostile else st.none()),
        quantity=draw(st.integers(-(10**12), 10**12) if hostile else st.integers(1, 3)),
    )


@st.composite
def rule_drafts(draw) -> RuleDraft:
    hostile = draw(st.sampled_from(["", "name", "threshold", "reward", "metric", "dates", "expiry",
                                    "count", "description", EVERYTHING]))
    rule_type = draw(st.sampled_from(list(RuleType)))
    count = draw(st.integers(0, 300) if hostile in ("count", EVERYTHING) else st.integers(1, 4))
    milestones = []
    for n in range(count):
        plausible_metric = (
            st.sampled_from(list(MixedStepMetric)) if rule_type == RuleType.MIXED else st.none()
        )
        milestones.append(
            MilestoneDraft(
                threshold=_pick(draw, hostile, "threshold", st.just(Decimal(5 * (n + 1))),
                                hostile_amounts.filter(lambda a: a is not None)),
                reward=_reward(draw, hostile in ("reward", EVERYTHING)),
                step_metric=_pick(draw, hostile, "metric", plausible_metric,
                                  st.one_of(st.none(), st.sampled_from(list(MixedStepMetric)))),
                description=_pick(draw, hostile, "description", st.just("Place an order"), text),
            )
        )
    # The rule inputs put every time in UTC before the engine sees it.
    moments = absurd_moments.map(as_utc) if hostile in ("dates", EVERYTHING) else st.none()
    return RuleDraft(
        name=_pick(draw, hostile, "name", st.just("Loyal customer"), text),
        type=rule_type,
        milestones=milestones,
        starts_at=draw(st.one_of(st.none(), moments)),
        ends_at=draw(st.one_of(st.none(), moments)),
        refund_policy=draw(st.sampled_from(list(RefundPolicy))),
        reward_expiry_days=_pick(draw, hostile, "expiry", st.one_of(st.none(), st.integers(1, 3650)),
                                 st.integers(-(10**12), 10**12)),
    )


async def _shop_with_rules():
    shop = await shops.create_shop("Fuzz shop", "USD", Plan.ENTERPRISE)
    for rule_type, milestones in (
        (RuleType.ORDERS_COUNT, [(1, RewardDraft(RewardKind.FIXED_DISCOUNT, amount=Decimal(5)))]),
        (RuleType.AMOUNT_SPENT, [(50, RewardDraft(RewardKind.STORE_CREDIT, amount=Decimal("2.5")))]),
        (RuleType.POINTS_EARNED, [(20, RewardDraft(RewardKind.POINTS, points=5))]),
        (RuleType.SUBSCRIPTION_CYCLES, [(2, RewardDraft(RewardKind.POINTS, points=9))]),
    ):
        draft = RuleDraft(
            name=rule_type.value,
            type=rule_type,
            refund_policy=RefundPolicy.REVOKE_UNREDEEMED,
            reward_expiry_days=30,
            milestones=[MilestoneDraft(Decimal(t), r) for t, r in milestones],
        )
        rule = await rules.create_rule(shop, draft, None)
        await rules.activate_rule(shop, rule.id, False, None)
    return shop


async def _refused_whole_or_done(shop, call) -> str:
    """Runs `call`; a DomainError must leave every row of the shop as it was."""
    before = await snapshot(shop.id)
    try:
        result = await call()
    except DomainError:
        assert await snapshot(shop.id) == before
        return "refused"
    if getattr(result, "duplicate", False):
        assert await snapshot(shop.id) == before
        return "duplicate"
    return "done"


async def _invariants_hold(shop) -> None:
    for customer in await Customer.filter(shop_id=shop.id):
        ledger = await LedgerEntry.filter(customer_id=customer.id)
        assert customer.points_balance == sum(e.delta for e in ledger if e.account == "POINTS")
        assert customer.store_credit_balance == sum(
            e.delta for e in ledger if e.account == "STORE_CREDIT"
        )
        assert customer.orders_count >= 0 and customer.reviews_count >= 0
        assert 0 <= customer.total_refunded <= customer.total_spent
    live = await IssuedReward.filter(shop_id=shop.id).exclude(status="REVOKED")
    twice = [k for k, n in Counter((r.customer_id, r.milestone_id) for r in live).items() if n > 1]
    assert twice == []


@FUZZ
@given(st.lists(activities(), min_size=1, max_size=12), st.data())
async def test_hostile_activity_is_refused_whole_or_recorded_and_invariants_hold(batch, data):
    shop = await _shop_with_rules()
    for activity in batch:
        outcome = await _refused_whole_or_done(shop, lambda a=activity: record_activity(shop, a))
        CASES[f"activity {outcome}"] += 1
        if outcome == "done" and data.draw(st.booleans()):
            # The same id again: a duplicate that changes nothing.
            again = await _refused_whole_or_done(shop, lambda a=activity: record_activity(shop, a))
            assert again == "duplicate", again
            CASES["activity resent"] += 1
    await _invariants_hold(shop)


@FUZZ
@given(rule_drafts(), st.booleans())
@example(  # once an internal error: a huge percent overflowed while being normalized
    RuleDraft(
        name="Huge percent",
        type=RuleType.ORDERS_COUNT,
        milestones=[
            MilestoneDraft(
                Decimal(1),
                RewardDraft(RewardKind.PERCENTAGE_DISCOUNT, percent=Decimal("1e999999999")),
            )
        ],
    ),
    False,
)
async def test_hostile_rule_is_refused_whole_or_stored_activated_and_evaluated(draft, past):
    shop = await _shop_with_rules()
    await record_activity(
        shop, ActivityInput(ActivityKind.ORDER_PLACED, "c", "o-1", amount=Decimal(40), currency="USD")
    )
    created: list = []

    async def create():
        created.append(await rules.create_rule(shop, draft, None))

    outcome = await _refused_whole_or_done(shop, create)
    CASES[f"rule {outcome}"] += 1
    if not created:
        return
    outcome = await _refused_whole_or_done(
        shop, lambda: rules.activate_rule(shop, created[0].id, past, None)
    )
    CASES[f"activation {outcome}"] += 1
    for n, amount in enumerate((Decimal("60.00"), Decimal("999999999.99"))):
        for activity in (
            ActivityInput(ActivityKind.ORDER_PLACED, "c", f"o-{n + 2}", amount=amount, currency="USD"),
            ActivityInput(ActivityKind.REVIEW_POSTED, "c", f"rv-{n}"),
            ActivityInput(ActivityKind.REFERRAL_COMPLETED, "c", f"rf-{n}"),
            ActivityInput(ActivityKind.POINTS_EARNED, "c", f"p-{n}", points=10**9),
            ActivityInput(ActivityKind.SUBSCRIPTION_BILLED, "c", f"b-{n}", contract_id="k"),
        ):
            await record_activity(shop, activity)
    await _invariants_hold(shop)


@pytest.fixture(scope="module", autouse=True)
def report_cases(pytestconfig):
    yield
    report(pytestconfig, f"engine fuzz: {sum(CASES.values())} cases: {dict(sorted(CASES.items()))}")
