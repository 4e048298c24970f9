"""Customer's-choice rewards (docs/concepts.md, "Rewards"): a milestone that offers 2 to 4
rewards, of which the customer picks one.

Reaching such a milestone grants it like any other (once per grant key), but issues nothing
yet: the grant is PENDING_CHOICE with the options as a snapshot. Choosing issues the chosen
reward exactly once, as reaching a one-reward milestone would have (points and credit applied,
a code with its expiry), and the grant becomes ISSUED. A choice not made within the
milestone's `choiceExpiryDays` is made by the sweep: the first option, the default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from engine.core.calendar import shifted
from engine.core.enums import IssuedRewardStatus
from engine.core.errors import DomainError
from engine.core.grants import Grant, GrantKey
from engine.core.rewards import expiry
from engine.core.rules import Milestone, Rule

_REFUSED = {
    IssuedRewardStatus.ISSUED: ("REWARD_ALREADY_CHOSEN", "This reward was already chosen."),
    IssuedRewardStatus.REDEEMED: ("REWARD_ALREADY_CHOSEN", "This reward was already chosen."),
    IssuedRewardStatus.EXPIRED: ("REWARD_ALREADY_CHOSEN", "This reward was already chosen."),
    IssuedRewardStatus.REVOKED: ("REWARD_REVOKED", "This reward was revoked."),
}


def offered(
    customer_id: int, rule: Rule, milestone: Milestone, key: GrantKey, now: datetime, activity_id: int | None
) -> Grant:
    """The grant of a customer's-choice milestone reached now: PENDING_CHOICE, its options
    kept, its first option standing as its reward until one is chosen."""
    deadline = shifted(now, milestone.choice_expiry_days) if milestone.choice_expiry_days else None
    return Grant(
        customer_id=customer_id,
        rule_id=rule.id,
        milestone=milestone,
        key=key,
        reward=milestone.options[0],
        status=IssuedRewardStatus.PENDING_CHOICE,
        issued_at=now,
        activity_id=activity_id,
        options=milestone.options,
        choice_expires_at=deadline,
    )


def chosen(grant: Grant, option: int, rule: Rule, at: datetime, new_code: Callable[[], str]) -> Grant:
    """The grant once the customer chose `option` (from 0) at `at`: ISSUED with that reward,
    a code and its expiry for a code reward. Raises DomainError when the grant is no pending
    choice (REWARD_ALREADY_CHOSEN, REWARD_REVOKED, NOT_A_CHOICE_REWARD) or `option` is not one
    of its options (INVALID)."""
    if not grant.options:
        raise DomainError.one("NOT_A_CHOICE_REWARD", "This reward offers no choice.", ("issuedRewardId",))
    if grant.status != IssuedRewardStatus.PENDING_CHOICE:
        code, message = _REFUSED[grant.status]
        raise DomainError.one(code, message, ("issuedRewardId",))
    if not 0 <= option < len(grant.options):
        raise DomainError.one(
            "INVALID", f"option must be between 0 and {len(grant.options) - 1}.", ("option",)
        )
    reward = grant.options[option]
    return replace(
        grant,
        reward=reward,
        status=IssuedRewardStatus.ISSUED,
        code=new_code() if reward.issues_code else None,
        expires_at=expiry(reward, rule.reward_expiry_days, at),
    )


def is_due(grant: Grant, as_of: datetime) -> bool:
    """Whether the sweep makes this choice (with the first option) as of `as_of`."""
    return (
        grant.status == IssuedRewardStatus.PENDING_CHOICE
        and grant.choice_expires_at is not None
        and grant.choice_expires_at <= as_of
    )
