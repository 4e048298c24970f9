"""Previewing a rule: what it would grant on the shop's recorded activity, writing nothing.

The activity in the window is read a page of customers at a time, in customer id order
(engine/store/replay.py), each page in a read of its own (so live recording goes on between
pages, and the next page is read while one is folded); each customer's facts are folded
through the core (engine/core/preview.py) and only figures are kept, so memory stays flat
whatever the shop's history. The rule is the one given (validated as createMilestoneRule
validates it) or a stored one, taken as activating it with `countPastActivity` would leave it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from engine.core.activities import FUTURE_TOLERANCE
from engine.core.drafts import RuleDraft
from engine.core.enums import RuleType
from engine.core.errors import DomainError, Problems
from engine.core.evaluation import Context
from engine.core.preview import Preview, as_activated, unsaved_rule
from engine.core.rules import POINTS_FEED, Rule
from engine.services import clock
from engine.services.recompute import FACT_KINDS
from engine.services.rules import get_rule, new_rule_spec
from engine.store import driver, replay
from engine.store import rules as rulebook
from engine.store.replay import Window
from models import Shop

# Customers per page at first; the size then follows the rows a page brought, so that a page
# holds about ROWS_PER_PAGE facts whatever customers' histories are like.
FIRST_PAGE = 1000
ROWS_PER_PAGE = 20_000
MAX_PAGE = 10_000


@dataclass(frozen=True)
class PreviewResult:
    preview: Preview
    window: Window
    activities: int  # recorded activities replayed


async def preview_rule(
    shop: Shop,
    draft: RuleDraft | None = None,
    rule_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> PreviewResult:
    """Replay the activity that occurred in [start, end) (default: the shop's whole history
    until now) for the draft or the stored rule `rule_id` (exactly one). Raises DomainError
    with the problems createMilestoneRule would give the draft, and INVALID at `to` when `end`
    is in the future or not after `start`; NOT_FOUND at `id` for a rule of no rule or of
    another shop."""
    now = clock.now()
    problems = _window_problems(start, end, now)
    rule: Rule | None = None
    try:
        if draft is not None:
            rule = unsaved_rule(new_rule_spec(draft, shop.currency))
        else:
            assert rule_id is not None
            rule = as_activated(await _stored(shop, rule_id))
    except DomainError as error:
        problems.items += error.problems
    problems.raise_if_any()
    assert rule is not None
    window = Window(start, end or now)
    preview = Preview(rule, window.end, Context(now, shop.currency, new_code=lambda: "", timezone=shop.timezone))
    activities = await _replay(shop.id, preview, window)
    return PreviewResult(preview, window, activities)


def _window_problems(start: datetime | None, end: datetime | None, now: datetime) -> Problems:
    problems = Problems()
    if end is not None and end > now + FUTURE_TOLERANCE:
        problems.add(
            "INVALID",
            "to is in the future: a preview replays recorded activity. For inactivity ahead, run"
            " runInactivitySweep(asOf:, dryRun: true).",
            ("to",),
        )
    elif start is not None and start >= (end or now):
        problems.add("INVALID", "to must be after from.", ("to",))
    return problems


async def _stored(shop: Shop, rule_id: int) -> Rule:
    await get_rule(shop, rule_id)
    rule = await driver.run(lambda: rulebook.by_id(rule_id), label="preview")
    if rule is None:
        raise DomainError.one("NOT_FOUND", "Milestone rule not found.", ("id",))
    return rule


async def _replay(shop_id: int, preview: Preview, window: Window) -> int:
    """Fold every customer's facts in the window into `preview`; how many activities it read.
    The next page is read while the current one is folded."""
    rule = preview.rule
    kinds = None if rule.type == RuleType.INACTIVITY else FACT_KINDS[rule.type]
    credits = rule.type in POINTS_FEED

    def read(after: int, size: int) -> asyncio.Task[replay.Page]:
        return asyncio.create_task(
            driver.run(lambda: replay.page(shop_id, after, size, window, kinds, credits), label="preview")
        )

    activities, size = 0, FIRST_PAGE
    reading = read(0, size)
    while True:
        page = await reading
        if page.last_customer_id is None:
            return activities
        size = max(100, min(MAX_PAGE, size * ROWS_PER_PAGE // max(page.size, 1)))
        reading = read(page.last_customer_id, size)
        for customer_id, facts in page.customers():
            preview.add(customer_id, facts)
        activities += len(page.rows)
