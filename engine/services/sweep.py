"""The sweep: expires code rewards past `expiresAt`, makes customers' choices past their
deadline (with the first option), grants INACTIVITY milestones and closes STREAK periods.

Set-based and batched: rewards and customers are taken a page at a time by id, so memory stays
flat whatever the shop's size. Expiry is one UPDATE … RETURNING per page that skips rewards
another transaction holds (a refund revoking them); their events are appended in one
statement. Inactivity grants go through the core (`decide_inactivity`) a page of customers at
a time, each page locking its customers first like every other unit of work. Safe to run twice
at once: a grant's unique key (rule, milestone, customer, episode) lets one of them issue it,
and expiry only moves rewards that are still ISSUED. Choices are made a page at a time by the
same unit of work as `chooseReward` (engine/services/choosing.py), only while still pending.

Closing streak periods writes one thing: the current streak (`rule_progress.value`) of each
customer whose streak is alive in the stored progress but broken as of `asOf` (a period ended
without enough activity), a page of such customers per transaction, through the core
(`decide_streaks`). Running it again finds nothing more to write.

A future `asOf` runs only as a dry run, which writes nothing and says what the sweep would do.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from engine.core.calendar import shifted
from engine.core.decisions import Event
from engine.core.enums import IssuedRewardStatus, RewardEventType, RewardKind, RuleType
from engine.core.errors import DomainError
from engine.core.evaluation import Context, decide_inactivity, decide_streaks
from engine.core.rules import POINTS_FEED, RuleRef
from engine.core.state import CustomerState, PointsCredit
from engine.services import choosing, clock, event_log, telemetry
from engine.store import activities, customers, decisions, driver, events
from engine.store import rules as rulebook
from engine.store.driver import Fetch, Work
from engine.store.rules import REWARD_WITH_CONTEXT, grant_of
from engine.store.sql import marks
from engine.store.state import STREAK_KIND_NAMES

BATCH = 1000


@dataclass
class RuleSweep:
    """What one rule's part of a sweep did (or would do)."""

    rule_id: int
    rule_name: str
    customers: int = 0  # customers granted at least one of its milestones
    granted: int = 0
    expired: int = 0
    streaks_broken: int = 0
    settled: int = 0  # choices made with their first option


@dataclass
class SweepResult:
    as_of: datetime
    dry_run: bool = False
    granted: int = 0
    expired: int = 0
    settled: int = 0
    customers_scanned: int = 0
    streaks_broken: int = 0  # (customer, STREAK rule) pairs whose streak the sweep found broken
    stopped: bool = False
    seconds: float = 0.0
    by_rule: dict[int, RuleSweep] = field(default_factory=dict)

    def rule(self, rule_id: int, name: str) -> RuleSweep:
        return self.by_rule.setdefault(rule_id, RuleSweep(rule_id, name))

    def summary(self) -> str:
        state = " (stopped early)" if self.stopped else ""
        verb = "would grant" if self.dry_run else "granted"
        lines = [
            f"sweep as of {self.as_of.isoformat()}{' (dry run: nothing written)' if self.dry_run else ''}:"
            f" {self.granted} inactivity rewards {verb}, {self.expired} rewards"
            f" {'would expire' if self.dry_run else 'expired'}, {self.customers_scanned} customers"
            f" scanned in {self.seconds:.2f}s{state}"
            + self._settled()
        ]
        if self.streaks_broken:
            lines.append(f"  {self.streaks_broken} streaks {'would break' if self.dry_run else 'broken'}")
        for part in sorted(self.by_rule.values(), key=lambda r: r.rule_id):
            lines.append(
                f"  rule {part.rule_id} {part.rule_name!r}: {part.granted} granted to"
                f" {part.customers} customers, {part.expired} expired"
            )
        return "\n".join(lines)

    def _settled(self) -> str:
        if not self.settled:
            return ""
        return f"; {self.settled} choices {'would be made' if self.dry_run else 'made'} with their first option"


async def run_sweep(
    as_of: datetime | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    shop_id: int | None = None,
    dry_run: bool = False,
) -> SweepResult:
    """Expire what is due and grant inactivity milestones as of `as_of` (default now), for
    one shop or all; with `dry_run`, only count what it would do. `should_stop` is checked
    between batches. A future `asOf` is refused (INVALID) unless `dry_run`."""
    started = time.perf_counter()
    now = clock.now()
    if as_of is not None and as_of > now and not dry_run:
        raise DomainError.one(
            "INVALID",
            "asOf is in the future: the sweep would expire codes and grant rewards early. Pass"
            " dryRun: true to see what it would do then.",
            ("asOf",),
        )
    result = SweepResult(as_of=as_of or now, dry_run=dry_run)
    try:
        await _expire(result, should_stop, shop_id, now)
        if not result.stopped:
            await _settle_choices(result, should_stop, shop_id, now)
        if not result.stopped:
            await _inactivity(result, should_stop, shop_id, now)
        if not result.stopped:
            await _streaks(result, should_stop, shop_id, now)
    except Exception:
        telemetry.sweep_finished(time.perf_counter() - started, result.granted, failed=True)
        raise
    result.seconds = time.perf_counter() - started
    telemetry.sweep_finished(result.seconds, 0 if dry_run else result.granted)
    return result


# --- expiry ---------------------------------------------------------------------------------

async def _expire(result: SweepResult, should_stop, shop_id: int | None, now: datetime) -> None:
    after = 0
    dialect = driver.dialect()
    while True:
        if should_stop():
            result.stopped = True
            return
        rows, seqs = await driver.run(
            lambda: _expire_page(result.as_of, shop_id, after, now, dialect, result.dry_run), label="sweep"
        )
        for row in rows:
            result.expired += 1
            result.rule(int(row["rule_id"]), row["rule_name"]).expired += 1
        for shop, seq in seqs.items():
            await event_log.published(shop, seq)
        if len(rows) < BATCH:
            return
        after = max(int(r["grant_id"]) for r in rows)


def _expire_page(
    as_of: datetime, shop_id: int | None, after: int, now: datetime, dialect: str, dry_run: bool
) -> Work[tuple[list, dict[int, int | None]]]:
    shop_filter = "" if shop_id is None else " AND shop_id = $3"
    params = (as_of, after, *([] if shop_id is None else [shop_id]))
    due = (
        "SELECT id FROM issued_rewards WHERE status = 'ISSUED' AND expires_at IS NOT NULL"
        f" AND expires_at <= $1 AND id > $2{shop_filter} ORDER BY id LIMIT {BATCH}"
    )
    if dry_run:
        rows = yield Fetch(f"{REWARD_WITH_CONTEXT} WHERE r.id IN ({due})", params)
        return list(rows), {}
    # Rewards a refund holds now are left for the next run, never waited for.
    skip = "" if dialect == "sqlite" else " FOR UPDATE SKIP LOCKED"
    expired = yield Fetch(
        "UPDATE issued_rewards SET status = 'EXPIRED', expired_at = $1"
        f" WHERE id IN ({due}{skip}) AND status = 'ISSUED' RETURNING id",
        params,
    )
    if not expired:
        return [], {}
    ids = sorted(int(r["id"]) for r in expired)
    rows = yield Fetch(f"{REWARD_WITH_CONTEXT} WHERE r.id IN ({marks(len(ids))}) ORDER BY r.shop_id, r.id", ids)
    seqs: dict[int, int | None] = {}
    by_shop: dict[int, list] = {}
    for row in rows:
        by_shop.setdefault(int(row["shop_id"]), []).append(row)
    for shop, shop_rows in by_shop.items():
        items = []
        for row in shop_rows:
            grant = grant_of(row)
            event = Event(
                RewardEventType.REWARD_EXPIRED,
                RuleRef(int(row["rule_id"]), row["rule_name"], RuleType(row["rule_type"])),
                grant,
                IssuedRewardStatus.EXPIRED,
            )
            items.append(events.EventRow.of(event, row["external_id"], int(row["grant_id"])))
        seqs[shop] = yield from events.append(shop, items, now, sequenced=dialect == "sqlite")
    return list(rows), seqs


# --- choices past their deadline --------------------------------------------------------------


async def _settle_choices(result: SweepResult, should_stop, shop_id: int | None, now: datetime) -> None:
    after = 0
    dialect = driver.dialect()
    context = Context(now)
    while True:
        if should_stop():
            result.stopped = True
            return
        page = await driver.run(lambda: _due_choices(result.as_of, shop_id, after), label="sweep")
        by_shop: dict[int, dict[int, list[tuple[int, int]]]] = {}
        for row in page:
            if result.dry_run:  # what is due now is what a sweep would make
                result.settled += 1
                result.rule(int(row["rule_id"]), row["rule_name"]).settled += 1
                continue
            # Each customer's overdue choices, made with the first option.
            by_shop.setdefault(int(row["shop_id"]), {}).setdefault(int(row["customer_id"]), []).append(
                (int(row["id"]), 0)
            )
        for shop, picks in by_shop.items():
            made, last_seq = await driver.run(
                lambda: choosing.settle(shop, picks, context, dialect, as_of=result.as_of), label="sweep"
            )
            for decision in made:
                for choice in decision.choices:
                    result.settled += 1
                    names = {e.grant.rule_id: e.rule.name for e in decision.events}
                    result.rule(choice.grant.rule_id, names.get(choice.grant.rule_id, "")).settled += 1
                    telemetry.reward_issued(choice.grant.reward.kind.value)
            if made:
                await event_log.published(shop, last_seq)
        if len(page) < BATCH:
            return
        after = max(int(r["id"]) for r in page)


def _due_choices(as_of: datetime, shop_id: int | None, after: int) -> Work[list]:
    shop_filter = "" if shop_id is None else " AND r.shop_id = $3"
    rows = yield Fetch(
        "SELECT r.id, r.shop_id, r.customer_id, r.rule_id, u.name AS rule_name FROM issued_rewards r"
        " JOIN milestone_rules u ON u.id = r.rule_id WHERE r.status = 'PENDING_CHOICE'"
        f" AND r.choice_expires_at IS NOT NULL AND r.choice_expires_at <= $1 AND r.id > $2{shop_filter}"
        f" ORDER BY r.id LIMIT {BATCH}",
        (as_of, after, *([] if shop_id is None else [shop_id])),
    )
    return list(rows)


# --- inactivity -----------------------------------------------------------------------------


async def _inactivity(result: SweepResult, should_stop, shop_id: int | None, now: datetime) -> None:
    shops = [shop_id] if shop_id is not None else await driver.run(_shops_with_inactivity, label="sweep")
    dialect = driver.dialect()
    context = Context(now)
    for shop in shops:
        rules = await driver.run(lambda: rulebook.live(shop, {RuleType.INACTIVITY, *POINTS_FEED}), label="sweep")
        idle = [r for r in rules if r.type == RuleType.INACTIVITY and r.counts(result.as_of) and r.ladder.thresholds]
        if not idle:
            continue
        # Points granted here move POINTS_EARNED rules and MIXED steps: their state is read
        # only when some inactivity reward gives points and such a rule counts now.
        gives_points = any(m.reward.kind == RewardKind.POINTS for r in idle for m in r.ladder.by_position)
        fed = gives_points and any(r.type in POINTS_FEED and r.counts(result.as_of) for r in rules)
        types = {RuleType.INACTIVITY, *(POINTS_FEED if fed else ())}
        cutoff = shifted(result.as_of, -min(r.ladder.thresholds[0] for r in idle))
        after = 0
        while True:
            if should_stop():
                result.stopped = True
                return
            page = await driver.run(lambda: _idle_customers(shop, cutoff, after), label="sweep")
            if not page:
                break
            result.customers_scanned += len(page)
            made, written = await driver.run(
                lambda: _grant_page(shop, page, types, result.as_of, context, dialect, result.dry_run),
                label="sweep",
            )
            _count(result, made)
            if written is not None and any(d.events for d in made):
                await event_log.published(shop, written.last_seq)
            for decision in made:
                for grant in decision.grants:
                    if not result.dry_run:
                        telemetry.reward_issued(grant.reward.kind.value)
            if len(page) < BATCH:
                break
            after = page[-1]


def _count(result: SweepResult, made) -> None:
    for decision in made:
        per_rule = Counter(g.rule_id for g in decision.grants)
        names = {e.grant.rule_id: e.rule.name for e in decision.events}
        for rule_id, granted in per_rule.items():
            part = result.rule(rule_id, names.get(rule_id, ""))
            part.granted += granted
            part.customers += 1
        result.granted += len(decision.grants)


def _shops_with_inactivity() -> Work[list[int]]:
    rows = yield Fetch(
        "SELECT DISTINCT shop_id FROM milestone_rules WHERE status = 'ACTIVE' AND type = 'INACTIVITY'"
        " ORDER BY shop_id"
    )
    return [int(r["shop_id"]) for r in rows]


def _idle_customers(shop_id: int, cutoff: datetime, after: int) -> Work[list[int]]:
    rows = yield Fetch(
        "SELECT id FROM customers WHERE shop_id = $1 AND last_activity_at <= $2 AND id > $3"
        f" ORDER BY id LIMIT {BATCH}",
        (shop_id, cutoff, after),
    )
    return [int(r["id"]) for r in rows]


def _grant_page(
    shop_id: int, page: list[int], types: set[RuleType], as_of: datetime, context: Context, dialect: str,
    dry_run: bool,
) -> Work[tuple[list, decisions.Written | None]]:
    locked = yield from customers.lock(page, for_update=dialect != "sqlite" and not dry_run)
    rules, progress, grants = yield from rulebook.with_state(shop_id, list(locked), types)
    made = []
    for customer_id, customer in locked.items():
        state = CustomerState(customer.id, customer.external_id, progress[customer_id], grants[customer_id],
                              customer.last_activity_at)
        decision = decide_inactivity(state, rules, as_of, context)
        if decision.grants:
            made.append(decision)
    if dry_run or not made:
        return made, None
    return made, (yield from decisions.write(shop_id, made, context.now, dialect))



# --- streaks ----------------------------------------------------------------------------------


async def _streaks(result: SweepResult, should_stop, shop_id: int | None, now: datetime) -> None:
    dialect = driver.dialect()
    for shop, timezone in await driver.run(lambda: _shops_with_streaks(shop_id), label="sweep"):
        context = Context(now, timezone=timezone)
        rules = await driver.run(lambda: rulebook.live(shop, {RuleType.STREAK}), label="sweep")
        rule_ids = [r.id for r in rules]
        after = 0
        while rule_ids:
            if should_stop():
                result.stopped = True
                return
            page = await driver.run(lambda: _streaking_customers(rule_ids, after), label="sweep")
            if not page:
                break
            made = await driver.run(
                lambda: _close_page(shop, page, result.as_of, context, dialect, result.dry_run), label="sweep"
            )
            names = {r.id: r.name for r in rules}
            for decision in made:
                for rule_id in decision.progress:
                    result.streaks_broken += 1
                    result.rule(rule_id, names[rule_id]).streaks_broken += 1
            if len(page) < BATCH:
                break
            after = page[-1]


def _shops_with_streaks(shop_id: int | None) -> Work[list[tuple[int, str]]]:
    shop_filter = "" if shop_id is None else " AND r.shop_id = $1"
    rows = yield Fetch(
        "SELECT DISTINCT r.shop_id, s.timezone FROM milestone_rules r JOIN shops s ON s.id = r.shop_id"
        f" WHERE r.status IN ('ACTIVE', 'PAUSED') AND r.type = 'STREAK'{shop_filter} ORDER BY r.shop_id",
        () if shop_id is None else (shop_id,),
    )
    return [(int(r["shop_id"]), r["timezone"]) for r in rows]


def _streaking_customers(rule_ids: list[int], after: int) -> Work[list[int]]:
    """The next page of customers whose stored streak on one of these rules is alive."""
    rows = yield Fetch(
        "SELECT DISTINCT customer_id FROM rule_progress"
        f" WHERE rule_id IN ({marks(len(rule_ids), 2)}) AND value > 0 AND customer_id > $1"
        f" ORDER BY customer_id LIMIT {BATCH}",
        (after, *rule_ids),
    )
    return [int(r["customer_id"]) for r in rows]


def _close_page(
    shop_id: int, page: list[int], as_of: datetime, context: Context, dialect: str, dry_run: bool
) -> Work[list]:
    """Lock a page of customers, refold their streaks as of `as_of`, write what broke."""
    locked = yield from customers.lock(page, for_update=dialect != "sqlite" and not dry_run)
    rules, progress, grants = yield from rulebook.with_state(shop_id, list(locked), {RuleType.STREAK})
    facts = yield from activities.history(list(locked), set(), kinds=STREAK_KIND_NAMES, credits=False)
    made = []
    for customer_id, customer in locked.items():
        state = CustomerState(customer.id, customer.external_id, progress[customer_id], grants[customer_id],
                              customer.last_activity_at)
        state.streak_facts = [f for f in facts[customer_id] if not isinstance(f, PointsCredit)]
        decision = decide_streaks(state, rules, as_of, context)
        if decision.progress:
            made.append(decision)
    if made and not dry_run:
        yield from decisions.write(shop_id, made, context.now, dialect)
    return made
