"""A STREAK rule through the engine's units of work: an import batch that holds several months
of one customer's orders, out of order, ends as recording them one by one does."""

from datetime import datetime
from decimal import Decimal

from engine.core.activities import ActivityInput
from engine.core.drafts import MilestoneDraft, RewardDraft, RuleDraft
from engine.core.enums import ActivityKind, Plan, RewardKind, RuleType, StreakMetric, StreakPeriod
from engine.services import clock, rules, shops
from engine.services.importing import import_activities
from engine.services.recording import record_activity
from models import IssuedReward, RuleProgress

MONTHS = ["2027-03-31T23:30:00-04:00", "2027-01-20T10:00:00-05:00", "2027-05-02T10:00:00-04:00",
          "2027-02-10T10:00:00-05:00", "2027-06-15T10:00:00-04:00", "2027-07-01T00:05:00-04:00"]


def _order(n: int, when: str) -> ActivityInput:
    return ActivityInput(ActivityKind.ORDER_PLACED, "gus", f"streak-{n}", datetime.fromisoformat(when),
                         amount=Decimal("12.00"), currency="USD")


async def _shop_with_a_streak_rule():
    shop = await shops.create_shop("Streak shop", "USD", Plan.ADVANCED, "America/New_York")
    draft = RuleDraft("Monthly", RuleType.STREAK, [MilestoneDraft(Decimal(3), RewardDraft(RewardKind.POINTS, points=5))],
                      period=StreakPeriod.MONTH, streak_metric=StreakMetric.ORDERS)
    rule = await rules.create_rule(shop, draft, None)
    await rules.activate_rule(shop, rule.id, True, None)
    return shop


async def _outcome(shop) -> tuple[list[str], int]:
    keys = await IssuedReward.filter(shop_id=shop.id).order_by("grant_key").values_list("grant_key", flat=True)
    progress = await RuleProgress.get(shop_id=shop.id)
    return list(keys), progress.value


async def test_an_import_batch_out_of_order_ends_as_recording_one_by_one_does():
    with clock.frozen(datetime.fromisoformat("2027-07-01T00:10:00-04:00")):
        one_by_one = await _shop_with_a_streak_rule()
        for n, when in enumerate(MONTHS):
            await record_activity(one_by_one, _order(n, when))
        batch = await _shop_with_a_streak_rule()
        result = await import_activities(batch, [_order(n, when) for n, when in enumerate(MONTHS)])
    assert len(result.recorded) == len(MONTHS)
    assert await _outcome(batch) == await _outcome(one_by_one) == (["st:20270101", "st:20270501"], 3)
