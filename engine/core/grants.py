"""Grants: a milestone's reward issued to a customer, exactly once per grant key.

(rule, milestone, customer, grant key) is unique in the database: that constraint is the last
line of defence, and the key is what this module decides.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from engine.core.enums import IssuedRewardStatus
from engine.core.rewards import Reward
from engine.core.rules import Milestone

_EPISODE_FORMAT = "%Y%m%dT%H%M%S.%f"
# What REVOKE_UNREDEEMED takes back: unredeemed rewards, and choices not made yet.
REVOCABLE = frozenset({IssuedRewardStatus.ISSUED, IssuedRewardStatus.PENDING_CHOICE})


@dataclass(frozen=True)
class GrantKey:
    """Which grant of a milestone a reward is.

    Every rule but INACTIVITY grants revision 0 first, and one revision more after each
    revocation (only REVOKE_UNREDEEMED revokes), whatever the refund policy was when the
    earlier grants were made: editing the policy never makes a held grant look missing.
    INACTIVITY grants once per inactivity episode, named by the activity that started it.
    STREAK grants once per streak, named by the first day of the streak's first period in the
    shop's calendar (`st:20270301`), and one revision more after each revocation within that
    streak (`st:20270301.1`).
    """

    revision: int = 0
    episode: datetime | None = None
    streak: date | None = None

    def __str__(self) -> str:
        if self.episode is not None:
            return "ep:" + self.episode.astimezone(UTC).strftime(_EPISODE_FORMAT)
        if self.streak is not None:
            return "st:" + self.streak.strftime("%Y%m%d") + (f".{self.revision}" if self.revision else "")
        return f"g{self.revision}"

    @classmethod
    def parse(cls, text: str) -> GrantKey:
        if text.startswith("ep:"):
            return cls(episode=datetime.strptime(text[3:], _EPISODE_FORMAT).replace(tzinfo=UTC))
        if text.startswith("st:"):
            day, _, revision = text[3:].partition(".")
            return cls(int(revision or 0), streak=datetime.strptime(day, "%Y%m%d").date())
        if text == "once":  # the first grant, as keys were written before revisions
            return cls(0)
        if text.startswith("g") and text[1:].isdigit():
            return cls(int(text[1:]))
        raise ValueError(f"not a grant key: {text!r}")


@dataclass(frozen=True, eq=False)
class Grant:
    """An issued reward as evaluation sees it: stored (`id` set) or decided just now.

    Compared by identity: a grant decided now is written once, and what refers to it (its
    ledger entry, its events, a later revocation in the same batch) refers to this object.
    """

    customer_id: int
    rule_id: int
    milestone: Milestone
    key: GrantKey
    reward: Reward  # the snapshot issued, not the milestone's current reward
    status: IssuedRewardStatus
    issued_at: datetime
    code: str | None = None
    expires_at: datetime | None = None
    activity_id: int | None = None
    id: int | None = None
    # A customer's choice: the options offered (`reward` is the first until one is chosen),
    # and until when the customer may choose.
    options: tuple[Reward, ...] = ()
    choice_expires_at: datetime | None = None


@dataclass
class GrantBook:
    """A customer's grants on the rules an evaluation looks at, by (rule, milestone)."""

    _by_milestone: dict[tuple[int, int], list[Grant]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def of(cls, grants: Iterable[Grant]) -> GrantBook:
        book = cls()
        for grant in grants:
            book.add(grant)
        return book

    def copy(self) -> GrantBook:
        return GrantBook(defaultdict(list, {k: list(v) for k, v in self._by_milestone.items()}))

    def add(self, grant: Grant) -> None:
        self._by_milestone[(grant.rule_id, grant.milestone.id)].append(grant)

    def __iter__(self) -> Iterator[Grant]:
        for grants in self._by_milestone.values():
            yield from grants

    def next_key(self, rule_id: int, milestone_id: int) -> GrantKey | None:
        """The key the milestone's next grant takes, or None when a grant is held (not
        revoked): revision 0 first, and one more after each revocation."""
        latest = max(
            (
                g
                for g in self._by_milestone.get((rule_id, milestone_id), ())
                if g.key.episode is None and g.key.streak is None
            ),
            key=lambda g: g.key.revision,
            default=None,
        )
        if latest is None:
            return GrantKey(0)
        if latest.status == IssuedRewardStatus.REVOKED:
            return GrantKey(latest.key.revision + 1)
        return None

    def of_milestone(self, rule_id: int, milestone_id: int) -> tuple[Grant, ...]:
        """Every grant of the milestone, revoked ones included."""
        return tuple(self._by_milestone.get((rule_id, milestone_id), ()))

    def holds(self, rule_id: int, milestone_id: int, key: GrantKey) -> bool:
        return any(g.key == key for g in self._by_milestone.get((rule_id, milestone_id), ()))

    def revocable_above(self, rule_id: int, value: int) -> list[Grant]:
        """Unredeemed grants (and choices not made yet) of the rule whose milestone is above
        `value`, highest first."""
        found = [
            g
            for (rule, _), grants in self._by_milestone.items()
            if rule == rule_id
            for g in grants
            if g.status in REVOCABLE and g.milestone.threshold > value
        ]
        return sorted(found, key=lambda g: (g.milestone.threshold, g.id or 0), reverse=True)

    def revoke(self, grant: Grant) -> None:
        """Mark `grant` revoked in this book (the caller records the revocation)."""
        self.replace(grant, replace(grant, status=IssuedRewardStatus.REVOKED))

    def replace(self, grant: Grant, now: Grant) -> None:
        """`grant` as it stands now (revoked, or chosen); added when the book did not hold it."""
        grants = self._by_milestone[(grant.rule_id, grant.milestone.id)]
        if grant in grants:
            grants[grants.index(grant)] = now
        else:
            grants.append(now)
