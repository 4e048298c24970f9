"""What an activity does: the engine's decisions, as a pure function of plain values.

Read this file to know what recording an order (or any activity) does. `decide` takes the
customer's state, the activity, the rules it may move and the unit of work's context, and
returns the decisions: progress changes, grants in ascending order, revocations, ledger
entries, the customer's update and the events. It reads no database and no clock; the shell
(engine/services/recording.py) loads the state, calls it and writes what it returns. The same
function serves live recording, bulk import, recomputation and previews, so they agree.

In short (docs/concepts.md):
- An order adds 1 to ORDERS_COUNT rules and its total to AMOUNT_SPENT rules that count it
  (its `occurredAt` in the rule's window and counting periods), and counts toward the current
  step of MIXED journeys. A review, a referral, a billing and points do the same for theirs.
- Progress that reaches a milestone grants it, in ascending order, once per grant key; points
  a reward credits count toward POINTS_EARNED rules and MIXED points steps, except toward the
  rule that granted them and except points from POINTS_EARNED rules.
- A refund lowers the progress of the rules that counted its order (an order leaves
  ORDERS_COUNT once refunded in full); under REVOKE_UNREDEEMED, what progress no longer meets
  is revoked: unredeemed codes, and points and credit, debited even below zero.
- A cancellation resets its contract; a contract's cycles and a MIXED journey depend on the
  order things happened in, so a late activity replays them from the customer's history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from operator import attrgetter
from zoneinfo import ZoneInfo

from engine.core import choices, codes, contracts, journeys, streaks
from engine.core.activities import Activity
from engine.core.decisions import Choice, CustomerUpdate, Decision, Event, LedgerEntry
from engine.core.enums import (
    LIVE_STATUSES,
    ActivityKind,
    IssuedRewardStatus,
    LedgerAccount,
    LedgerReason,
    RewardEventType,
    RuleType,
)
from engine.core.errors import DomainError
from engine.core.grants import Grant, GrantBook, GrantKey
from engine.core.inactivity import episode, inactive_days
from engine.core.money import from_minor
from engine.core.rewards import expiry
from engine.core.rules import FEEDS, POINTS_FEED, STREAK_KINDS, Milestone, Rule, rule_types_for
from engine.core.state import CustomerState, Fact, Order, PointsCredit, Progress

# Kinds that move each rule they feed by what they are (refunds, points and contracts have more
# to them).
_COUNTED_AS_THEY_COME = frozenset(
    {ActivityKind.ORDER_PLACED, ActivityKind.REVIEW_POSTED, ActivityKind.REFERRAL_COMPLETED,
     ActivityKind.SUBSCRIPTION_BILLED}
)
COUNTING_TYPES = frozenset(
    {RuleType.ORDERS_COUNT, RuleType.AMOUNT_SPENT, RuleType.REVIEWS_COUNT, RuleType.POINTS_EARNED}
)


@dataclass(frozen=True)
class Context:
    """What a unit of work gives evaluation besides state: its one reading of the clock, the
    shop's currency (for messages), where discount codes come from and the shop's time zone
    (for STREAK periods)."""

    now: datetime
    currency: str = "USD"
    new_code: Callable[[], str] = codes.new_code
    timezone: str = "UTC"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def decide(
    customer: CustomerState, activity: Activity, rules: Sequence[Rule], context: Context
) -> Decision:
    """Everything recording `activity` (already stored, so it has an id) decides for
    `customer`. Raises DomainError when the state refuses it (a refund of an unknown order or
    beyond what is left of it, a billing on another customer's contract)."""
    return evaluate(customer, activity, rules, context).decision


def fold(
    customer: CustomerState, activities: Iterable[Activity], rules: Sequence[Rule], context: Context
) -> tuple[list[Decision | DomainError], CustomerState]:
    """`decide` over a customer's activities one after the other, each on the state the ones
    before it left; a refused activity changes nothing and its error takes its place."""
    results: list[Decision | DomainError] = []
    for activity in activities:
        try:
            evaluation = evaluate(customer, activity, rules, context)
        except DomainError as error:
            results.append(error)
            continue
        results.append(evaluation.decision)
        customer = evaluation.state_after()
    return results, customer


def needs_history(customer: CustomerState, activities: Iterable[Activity], rules: Sequence[Rule]) -> bool:
    """Whether one of `activities` (or points its rewards credit) may reach a MIXED journey
    behind what it already counted, so that evaluating it needs the customer's history
    (`CustomerState.history`) to replay the journey."""
    journeys_ = [r for r in rules if r.type == RuleType.MIXED]
    return any(
        rule_types_for(activity.kind) and journeys.is_late(customer.progress.get(rule.id), activity)
        for activity in activities
        for rule in journeys_
    )


def decide_inactivity(
    customer: CustomerState, rules: Sequence[Rule], as_of: datetime, context: Context
) -> Decision:
    """The sweep's grants for one customer idle as of `as_of`: every INACTIVITY milestone
    whose days have passed, once per episode (and what their points move)."""
    evaluation = Evaluation(customer, rules, context, at=as_of)
    if customer.last_activity_at is None:
        return evaluation.decision
    days = inactive_days(customer.last_activity_at, as_of)
    key = episode(customer.last_activity_at)
    for rule in evaluation.rules_of({RuleType.INACTIVITY}, as_of):
        for milestone in rule.ladder.between(0, days):
            if not evaluation.grants.holds(rule.id, milestone.id, key):
                evaluation.grant(rule, milestone, key, as_of)
    return evaluation.decision


def decide_streaks(customer: CustomerState, rules: Sequence[Rule], as_of: datetime, context: Context) -> Decision:
    """The sweep's update for one customer (its `streak_facts` loaded): each STREAK rule's
    current streak as of `as_of`, so that a period that ended without enough activity shows the
    streak broken without new activity. It grants nothing (what a run reaches never depends on
    the time), and leaves a rule alone when activity after `as_of` was counted toward it."""
    evaluation = Evaluation(customer, rules, context, at=as_of)
    for rule in rules:
        stored = customer.progress.get(rule.id)
        if rule.type != RuleType.STREAK or rule.streak is None or rule.status not in LIVE_STATUSES or stored is None:
            continue
        if stored.as_of is not None and stored.as_of > as_of:
            continue
        found = streaks.tallies(rule, customer.streak_facts or [], context.zone)
        shown = streaks.view(found, rule.streak, context.zone, as_of)
        evaluation.set_progress(rule, replace(stored, value=shown.current))
    return evaluation.decision


def decide_choices(
    customer: CustomerState,
    made: Sequence[tuple[Rule, Grant, int, datetime]],
    others: Sequence[Rule],
    context: Context,
) -> Decision:
    """The customer's choices made (each pending `grant` of its rule, the option from 0 and
    when): each chosen reward issued as reaching its milestone would have, its points counting
    toward `others` (the POINTS_EARNED rules and MIXED points steps). Raises DomainError when
    a grant is no pending choice or an option is not one of its options."""
    rules = {rule.id: rule for rule in others} | {rule.id: rule for rule, *_ in made}
    evaluation = Evaluation(customer, list(rules.values()), context, at=context.now)
    for rule, grant, option, at in made:
        evaluation.choose(rule, grant, option, at)
    return evaluation.decision


def refold(
    customer: CustomerState, rule: Rule, facts: Iterable[Fact], others: Sequence[Rule], context: Context
) -> Decision:
    """The customer's progress on `rule` recomputed from what was recorded (`facts`: their
    activities, and points other rules' rewards credited), and the grants it reaches that the
    customer does not hold; `others` are the rules those grants' points may move."""
    evaluation = Evaluation(customer, [rule, *others], context, at=context.now)
    if rule.type == RuleType.STREAK:  # once per streak: its own keys (engine/core/streaks.py)
        evaluation.streak(rule, [f for f in facts if isinstance(f, Activity)])
        return evaluation.decision
    progress, reached = progress_over(rule, list(facts))
    if rule.type == RuleType.INACTIVITY:
        return evaluation.decision
    evaluation.set_progress(rule, progress)
    for milestone, at in reached:
        evaluation.grant_once(rule, milestone, at or context.now)
    return evaluation.decision


def progress_over(rule: Rule, facts: list[Fact]) -> tuple[Progress, list[tuple[Milestone, datetime | None]]]:
    """A rule's progress over `facts` counted from nothing, and the milestones it reaches, in
    the order they are granted, each with when it was reached (None: no fact to date it by).
    INACTIVITY progress is not a fold of facts: the sweep decides it (`decide_inactivity`)."""
    if rule.type == RuleType.MIXED:
        progress, completed = journeys.replay(rule, facts)
        return progress, list(completed)
    if rule.type == RuleType.SUBSCRIPTION_CYCLES:
        found = contracts.fold(rule, [f for f in facts if isinstance(f, Activity)])
        latest = _latest(facts)
        return Progress(found.best), [(m, latest) for m in rule.ladder.between(0, found.peak)]
    if rule.type in COUNTING_TYPES:
        value = counted_value(rule, facts)
        latest = _latest(facts)
        return Progress(value, as_of=latest), [(m, latest) for m in rule.ladder.between(0, value)]
    return Progress(), []


def counted_value(rule: Rule, facts: Iterable[Fact]) -> int:
    """A counting rule's value over `facts`: what live evaluation adds up, in any order."""
    facts = list(facts)
    orders: dict[str, Activity] = {}
    refunds: list[Activity] = []
    for f in facts:
        if isinstance(f, Activity):
            if f.kind == ActivityKind.ORDER_PLACED:
                orders[f.external_id] = f
            elif f.kind == ActivityKind.ORDER_REFUNDED:
                refunds.append(f)
    refunded: dict[str, int] = defaultdict(int)
    for f in refunds:
        if f.order_id in orders:
            refunded[f.order_id] += f.amount
    counts, rule_type = rule.counts, rule.type
    value = 0
    if rule_type in (RuleType.ORDERS_COUNT, RuleType.AMOUNT_SPENT):
        every = rule.counts_all_of_time
        for order in orders.values():
            if not every and not counts(order.occurred_at):
                continue
            if rule_type == RuleType.ORDERS_COUNT:
                value += 0 if order.amount and refunded[order.external_id] >= order.amount else 1
            else:
                value += order.amount - refunded[order.external_id]
        return value
    for f in facts:
        if isinstance(f, PointsCredit):
            if rule_type == RuleType.POINTS_EARNED and f.feeds(rule.id) and counts(f.occurred_at):
                value += f.points
        elif rule_type == RuleType.REVIEWS_COUNT and f.kind == ActivityKind.REVIEW_POSTED and counts(f.occurred_at):
            value += 1
        elif rule_type == RuleType.POINTS_EARNED and f.kind == ActivityKind.POINTS_EARNED and counts(f.occurred_at):
            value += f.points
    return value


def _latest(facts: list[Fact]) -> datetime | None:
    return max(map(_OCCURRED_AT, facts), default=None)


_OCCURRED_AT = attrgetter("occurred_at")


def _later(a: datetime | None, b: datetime) -> datetime:
    return b if a is None else max(a, b)


def lifetime(activity: Activity) -> CustomerUpdate:
    """What an activity adds to the customer's lifetime figures."""
    kind = activity.kind
    return CustomerUpdate(
        orders=1 if kind == ActivityKind.ORDER_PLACED else 0,
        spent=activity.amount if kind == ActivityKind.ORDER_PLACED else 0,
        refunded=activity.amount if kind == ActivityKind.ORDER_REFUNDED else 0,
        reviews=1 if kind == ActivityKind.REVIEW_POSTED else 0,
        referrals=1 if kind == ActivityKind.REFERRAL_COMPLETED else 0,
        last_activity_at=activity.occurred_at,
        first_seen_at=activity.occurred_at,
        email=activity.email,
    )


def evaluate(
    customer: CustomerState, activity: Activity, rules: Sequence[Rule], context: Context
) -> Evaluation:
    """`decide`, keeping the working state (for folds)."""
    evaluation = Evaluation(customer, rules, context, at=activity.occurred_at, activity=activity)
    evaluation.decision.customer = lifetime(activity)
    kind = activity.kind
    if kind == ActivityKind.ORDER_REFUNDED:
        evaluation.refund(activity)
    elif kind == ActivityKind.POINTS_EARNED:
        evaluation.ledger(LedgerAccount.POINTS, activity.points, LedgerReason.ACTIVITY, activity.occurred_at)
        evaluation.feed_points(activity.points, activity)
    elif kind in contracts.SUBSCRIPTION_KINDS:
        evaluation.subscription(activity)
    if kind in _COUNTED_AS_THEY_COME:
        for rule in evaluation.rules_of(FEEDS[kind], activity.occurred_at):
            evaluation.apply(rule, activity)
    if kind in STREAK_KINDS:
        for rule in evaluation.rules:
            if rule.type == RuleType.STREAK and rule.status in LIVE_STATUSES:
                if customer.streak_facts is None:
                    raise RuntimeError("a STREAK rule needs the customer's streak facts (CustomerState)")
                refund = kind == ActivityKind.ORDER_REFUNDED
                evaluation.streak(rule, [*customer.streak_facts, activity], refund=refund)
    if kind == ActivityKind.ORDER_PLACED:
        evaluation.orders[activity.external_id] = Order(
            activity.external_id, customer.id, activity.amount, 0, activity.occurred_at
        )
    return evaluation



@dataclass
class Evaluation:
    """One customer's evaluation in progress: a working copy of their state, and the
    decisions made so far."""

    customer: CustomerState
    rules: Sequence[Rule]
    context: Context
    at: datetime  # when the activity occurred (the sweep's as-of time)
    activity: Activity | None = None
    decision: Decision = field(init=False)
    progress: dict[int, Progress] = field(init=False)
    orders: dict[str, Order] = field(init=False)
    grants: GrantBook = field(init=False)
    # Points this evaluation's rewards credited, and the facts counted toward each journey, for
    # a replay that follows.
    credits: list[PointsCredit] = field(init=False, default_factory=list)
    _journey_facts: dict[int, list[Fact]] = field(init=False, default_factory=lambda: defaultdict(list))

    def __post_init__(self) -> None:
        self.decision = Decision(self.customer.id, self.customer.external_id)
        self.progress = dict(self.customer.progress)
        self.grants = self.customer.grants.copy()
        self.orders = dict(self.customer.orders)

    @property
    def activity_id(self) -> int | None:
        return self.activity.id if self.activity else None

    def rules_of(self, types: set[RuleType] | frozenset[RuleType], at: datetime) -> list[Rule]:
        """The rules of these types that count what happened at `at`, in id order."""
        return [rule for rule in self.rules if rule.type in types and rule.counts(at)]

    # --- progress ------------------------------------------------------------------------

    def progress_of(self, rule: Rule) -> Progress:
        return self.progress.get(rule.id) or Progress()

    def set_progress(self, rule: Rule, progress: Progress) -> None:
        if self.progress.get(rule.id, Progress()) == progress:
            return
        self.progress[rule.id] = progress
        self.decision.progress[rule.id] = progress

    def apply(self, rule: Rule, activity: Activity) -> None:
        """What one activity adds to one rule that counts it."""
        if rule.type == RuleType.MIXED:
            self.advance(rule, activity)
        elif rule.type in (RuleType.ORDERS_COUNT, RuleType.REVIEWS_COUNT):
            self.count(rule, 1, activity.occurred_at)
        elif rule.type == RuleType.AMOUNT_SPENT and activity.amount:
            # A free order moves no AMOUNT_SPENT progress.
            self.count(rule, activity.amount, activity.occurred_at)

    def count(self, rule: Rule, delta: int, at: datetime) -> None:
        """Add `delta`, for something that happened at `at`, to a counting rule: grant what is
        newly met, or under REVOKE_UNREDEEMED revoke what is no longer met.

        A milestone is reached when the last of what it counts happened, so a late activity's
        grant is dated by the latest counted one: points it credits count where they would
        have, had everything arrived in order."""
        old = self.progress_of(rule)
        reached = _later(old.as_of, at)
        new = Progress(old.value + delta, as_of=reached)
        self.set_progress(rule, new)
        if delta > 0:
            for milestone in rule.ladder.between(old.value, new.value):
                self.grant_once(rule, milestone, reached)
        elif delta < 0 and rule.revokes:
            for grant in self.grants.revocable_above(rule.id, new.value):
                self.revoke(rule, grant)

    def advance(self, rule: Rule, fact: Fact) -> None:
        """Count `fact` toward a MIXED journey's current step; a late fact replays it."""
        if not journeys.feeds(rule, fact):
            return
        self._journey_facts[rule.id].append(fact)
        if journeys.is_late(self.progress.get(rule.id), fact):
            if self.customer.history is None:
                raise RuntimeError("a late activity needs the customer's history (needs_history)")
            progress, completed = journeys.replay(rule, [*self.customer.history, *self._journey_facts[rule.id]])
        else:
            progress, step = journeys.advance(rule, self.progress_of(rule), fact)
            completed = [(step, fact.occurred_at)] if step is not None else []
        self.set_progress(rule, progress)
        for step, at in completed:
            self.grant_once(rule, step, at)

    def streak(self, rule: Rule, facts: list[Activity], refund: bool = False) -> None:
        """Refold a STREAK rule from the customer's facts (engine/core/streaks.py): its current
        streak as of now, the milestones its runs reach, what a refund no longer supports."""
        decided = streaks.decide(rule, facts, self.grants, self.context.zone, self.context.now, refund=refund)
        self.set_progress(rule, Progress(decided.view.current, as_of=decided.as_of))
        for milestone, key, at in decided.grants:
            self.grant(rule, milestone, key, at)
        for grant in decided.revocations:
            self.revoke(rule, grant)

    def refund(self, activity: Activity) -> None:
        """Lower the progress of the rules that counted the refunded order."""
        order = self.orders.get(activity.order_id or "")
        if order is None or order.customer_id != self.customer.id:
            raise DomainError.one("NOT_FOUND", "Order not found for this customer.", ("orderId",))
        left = order.total - order.refunded
        if activity.amount > left:
            currency = self.context.currency
            raise DomainError.one(
                "REFUND_EXCEEDS_ORDER",
                f"The refund is more than what is left of the order ({from_minor(left, currency)} {currency}).",
                ("amount",),
            )
        in_full = activity.amount == left
        for rule in self.rules_of(FEEDS[ActivityKind.ORDER_REFUNDED], order.occurred_at):
            if rule.type == RuleType.AMOUNT_SPENT:
                self.count(rule, -activity.amount, activity.occurred_at)
            elif in_full:  # an order leaves ORDERS_COUNT once refunded in full
                self.count(rule, -1, activity.occurred_at)
        self.orders[order.external_id] = replace(order, refunded=order.refunded + activity.amount)

    def subscription(self, activity: Activity) -> None:
        """A billing or a cancellation: refold the customer's contracts for every
        SUBSCRIPTION_CYCLES rule."""
        known = self.customer.subscriptions or []
        contract = [a for a in known if a.contract_id == activity.contract_id]
        if any(a.customer_external_id != activity.customer_external_id for a in contract) or (
            activity.kind == ActivityKind.SUBSCRIPTION_CANCELLED and not contract
        ):
            raise DomainError.one("NOT_FOUND", "Contract not found for this customer.", ("contractId",))
        facts = [a for a in known if a.customer_external_id == activity.customer_external_id] + [activity]
        latest = max(a.occurred_at for a in facts)
        for rule in self.rules:
            if rule.type == RuleType.SUBSCRIPTION_CYCLES and rule.status in LIVE_STATUSES:
                found = contracts.fold(rule, facts)
                self.set_progress(rule, Progress(found.best))
                for milestone in rule.ladder.between(0, found.peak):
                    self.grant_once(rule, milestone, latest)
        self.customer = replace(self.customer, subscriptions=[*known, activity])

    def feed_points(self, points: int, fact: Fact, source: Rule | None = None) -> None:
        """Points credited at `fact.occurred_at` count toward POINTS_EARNED rules and MIXED
        points steps, except points a POINTS_EARNED rule rewarded, and never toward the rule
        that rewarded them (`source`)."""
        if points <= 0 or (source is not None and source.type == RuleType.POINTS_EARNED):
            return
        for rule in self.rules_of(POINTS_FEED, fact.occurred_at):
            if source is not None and rule.id == source.id:
                continue
            if rule.type == RuleType.POINTS_EARNED:
                self.count(rule, points, fact.occurred_at)
            else:
                self.advance(rule, fact)

    # --- grants ---------------------------------------------------------------------------

    def grant_once(self, rule: Rule, milestone: Milestone, at: datetime) -> Grant | None:
        """Grant `milestone` (reached at `at`) unless a grant of it is held (not revoked)."""
        key = self.grants.next_key(rule.id, milestone.id)
        return None if key is None else self.grant(rule, milestone, key, at)

    def grant(self, rule: Rule, milestone: Milestone, key: GrantKey, at: datetime) -> Grant:
        """Issue the milestone's reward under `key`: a code and its expiry for code rewards,
        the ledger for points and credit (whose points then count elsewhere). A
        customer's-choice milestone issues nothing yet: its grant waits for the choice."""
        now = self.context.now
        if milestone.options:
            grant = choices.offered(self.customer.id, rule, milestone, key, now, self.activity_id)
            self.grants.add(grant)
            self.decision.grants.append(grant)
            self.decision.events.append(Event(RewardEventType.REWARD_CHOICE_PENDING, rule, grant, grant.status))
            return grant
        reward = milestone.reward
        grant = Grant(
            customer_id=self.customer.id,
            rule_id=rule.id,
            milestone=milestone,
            key=key,
            reward=reward,
            status=IssuedRewardStatus.ISSUED,
            issued_at=now,
            code=self.context.new_code() if reward.issues_code else None,
            expires_at=expiry(reward, rule.reward_expiry_days, now),
            activity_id=self.activity_id,
        )
        self.grants.add(grant)
        self.decision.grants.append(grant)
        self.issue(rule, grant, at)
        return grant

    def choose(self, rule: Rule, grant: Grant, option: int, at: datetime) -> Grant:
        """Make a pending choice at `at`: its chosen reward is issued as `grant` would have."""
        made = choices.chosen(grant, option, rule, at, self.context.new_code)
        self.grants.replace(grant, made)
        self.decision.choices.append(Choice(made, option, at))
        self.issue(rule, made, at)
        return made

    def issue(self, rule: Rule, grant: Grant, at: datetime) -> None:
        """What an issued reward does: points or credit on the ledger (points then count
        toward other rules), and its event."""
        credit = grant.reward.credit()
        if credit is not None:
            self.ledger(*credit, LedgerReason.REWARD, at, grant)
        self.decision.events.append(Event(RewardEventType.REWARD_ISSUED, rule, grant, IssuedRewardStatus.ISSUED))
        if credit is not None and credit[0] == LedgerAccount.POINTS:
            credited = PointsCredit(credit[1], at, self.activity_id or 0, rule.id, rule.type)
            self.credits.append(credited)
            self.feed_points(credit[1], credited, rule)

    def revoke(self, rule: Rule, grant: Grant) -> None:
        """Take back an unredeemed grant: its points or credit are debited, even below zero
        (a debit counts toward no rule)."""
        self.grants.revoke(grant)
        self.decision.revocations.append(grant)
        # A choice not made yet applied nothing.
        credit = grant.reward.credit() if grant.status == IssuedRewardStatus.ISSUED else None
        if credit is not None:
            self.ledger(credit[0], -credit[1], LedgerReason.REVOKE, self.at, grant)
        self.decision.events.append(Event(RewardEventType.REWARD_REVOKED, rule, grant, IssuedRewardStatus.REVOKED))

    def ledger(
        self, account: LedgerAccount, delta: int, reason: LedgerReason, at: datetime, grant: Grant | None = None
    ) -> None:
        self.decision.ledger.append(LedgerEntry(account, delta, reason, at, self.activity_id, grant))
        balance = CustomerUpdate(points=delta) if account == LedgerAccount.POINTS else CustomerUpdate(credit=delta)
        self.decision.customer = self.decision.customer.then(balance)

    # --- the state it leaves ------------------------------------------------------------------

    def state_after(self) -> CustomerState:
        """The customer's state once these decisions are written (to fold the next activity)."""
        latest = self.decision.customer.last_activity_at
        last = self.customer.last_activity_at
        history = self.customer.history
        if history is not None and self.activity is not None:
            history = [*history, *journeys.facts_of([self.activity]), *self.credits]
        return replace(
            self.customer,
            progress=dict(self.progress),
            grants=self.grants,
            orders=dict(self.orders),
            last_activity_at=latest if last is None or (latest and latest > last) else last,
            history=history,
            streak_facts=(
                [*self.customer.streak_facts, self.activity]
                if self.customer.streak_facts is not None and self.activity is not None
                and self.activity.kind in STREAK_KINDS
                else self.customer.streak_facts
            ),
        )
