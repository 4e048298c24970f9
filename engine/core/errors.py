"""Domain errors. Each carries a code from the API's `UserErrorCode` and a field path."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    field: Path = ()


class DomainError(Exception):
    """One or more problems with a request; raising it means nothing was changed."""

    def __init__(self, problems: Sequence[Problem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems: list[Problem] = list(problems)

    @classmethod
    def one(cls, code: str, message: str, field: Path = ()) -> DomainError:
        return cls([Problem(code, message, field)])


def not_found(what: str, field: Path = ()) -> DomainError:
    return DomainError.one("NOT_FOUND", f"{what} not found.", field)


@dataclass
class Problems:
    """Collects problems while validating, so a caller sees all of them at once."""

    items: list[Problem] = field(default_factory=list)

    def add(self, code: str, message: str, field: Path = ()) -> None:
        self.items.append(Problem(code, message, field))

    def raise_if_any(self) -> None:
        if self.items:
            raise DomainError(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)
