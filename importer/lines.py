"""What reading an import file gives, line by line, and what refuses a whole file."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from engine.core.activities import ActivityInput


class FileRefused(Exception):
    """The file as a whole cannot be imported (not UTF-8, empty, cut short, not of its
    format): nothing is recorded. The message is one line."""


@dataclass(frozen=True)
class Read:
    """An activity read from line `line` (from 1)."""

    line: int
    item: ActivityInput


@dataclass(frozen=True)
class Rejected:
    """A line that holds no usable activity, and why."""

    line: int
    reason: str


@dataclass(frozen=True)
class Skipped:
    """A line that counts nothing, as the store's webhooks would not (a test order, a guest
    checkout)."""

    line: int
    reason: str


Entry = Read | Rejected | Skipped


def text_lines(path: Path) -> Iterator[tuple[int, str]]:
    """The file's lines with their numbers (from 1), without line ends; refuses a file that
    is not UTF-8, naming the first line that is not."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    number = 0
    with path.open("rb") as file:
        for raw in file:
            number += 1
            try:
                text = decoder.decode(raw)
            except UnicodeDecodeError:
                raise FileRefused(f"{path.name} is not UTF-8 text (line {number})") from None
            yield number, text.rstrip("\r\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise FileRefused(f"{path.name} is not UTF-8 text (line {number})") from None
