"""What evaluation decides, as plain values the shell writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from engine.core.enums import IssuedRewardStatus, LedgerAccount, LedgerReason, RewardEventType
from engine.core.grants import Grant
from engine.core.rules import Rule, RuleRef
from engine.core.state import Progress


@dataclass(frozen=True)
class LedgerEntry:
    account: LedgerAccount
    delta: int  # points, or minor units of store credit
    reason: LedgerReason
    occurred_at: datetime
    activity_id: int | None = None
    grant: Grant | None = None  # the reward issued or revoked


@dataclass(frozen=True)
class Event:
    """A reward event to append to the shop's log: the grant as it stands at this event."""

    type: RewardEventType
    rule: Rule | RuleRef
    grant: Grant
    status: IssuedRewardStatus


@dataclass(frozen=True)
class CustomerUpdate:
    """What changes on the customer's row: additions to the lifetime figures and balances,
    the latest activity time, the earliest time seen, an email."""

    orders: int = 0
    spent: int = 0
    refunded: int = 0
    reviews: int = 0
    referrals: int = 0
    points: int = 0
    credit: int = 0
    last_activity_at: datetime | None = None
    first_seen_at: datetime | None = None
    email: str | None = None

    def then(self, later: CustomerUpdate) -> CustomerUpdate:
        """This update followed by `later`, as one."""
        return CustomerUpdate(
            orders=self.orders + later.orders,
            spent=self.spent + later.spent,
            refunded=self.refunded + later.refunded,
            reviews=self.reviews + later.reviews,
            referrals=self.referrals + later.referrals,
            points=self.points + later.points,
            credit=self.credit + later.credit,
            last_activity_at=_latest(self.last_activity_at, later.last_activity_at),
            first_seen_at=_earliest(self.first_seen_at, later.first_seen_at),
            email=later.email or self.email,
        )


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


@dataclass(frozen=True)
class Choice:
    """A customer's choice made: the grant as chosen (ISSUED with the chosen reward) and the
    option it was, from 0."""

    grant: Grant
    option: int
    at: datetime


@dataclass
class Decision:
    """Everything evaluating one customer's activity (or a sweep's grants) decided, in the
    order it happened: grants ascending, each reward's ledger entry and event after it."""

    customer_id: int
    customer_external_id: str
    progress: dict[int, Progress] = field(default_factory=dict)  # rule id -> new progress
    grants: list[Grant] = field(default_factory=list)
    revocations: list[Grant] = field(default_factory=list)  # each as it was before revoking
    choices: list[Choice] = field(default_factory=list)  # stored choices made now
    ledger: list[LedgerEntry] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    customer: CustomerUpdate = field(default_factory=CustomerUpdate)

    @property
    def empty(self) -> bool:
        return not (
            self.progress or self.grants or self.revocations or self.choices or self.ledger or self.events
        )
