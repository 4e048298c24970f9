"""Importing a file: its format, its shape checked before anything is recorded, then its
activities recorded in batches of BATCH, each batch one transaction of the engine's batch
path. Every activity is idempotent on its own id, so a run that stopped halfway is finished
by running the same file again: what was recorded answers as duplicates and costs no
evaluation."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from engine.core.errors import DomainError
from engine.services.importing import import_activities
from importer import activity_json, orders_csv, shopify_jsonl
from importer.activity_json import MEMBER_OF, problems_text
from importer.lines import Entry, FileRefused, Read, Rejected, Skipped, text_lines
from models import Shop

BATCH = 1000
FORMATS: dict[str, Callable[[Path, bool], Iterator[Entry]]] = {
    "ndjson": activity_json.entries,
    "csv": orders_csv.entries,
    "shopify-jsonl": shopify_jsonl.entries,
}


def guess_format(path: Path) -> str:
    """The format a file's name says: `.ndjson` and `.csv`; a `.jsonl` file is Shopify's
    when its first object carries a Shopify id (`gid://shopify/…`), else NDJSON."""
    suffix = path.suffix.lower()
    if suffix == ".ndjson":
        return "ndjson"
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".json"):
        for _, text in text_lines(path):
            if text.strip():
                return "shopify-jsonl" if '"gid://shopify/' in text else "ndjson"
        return "ndjson"
    raise FileRefused(f"cannot tell the format of {path.name} from its name: give --format ({', '.join(FORMATS)})")


@dataclass
class Summary:
    lines: int = 0  # lines that held an activity or a refusal (several activities may share one)
    recorded: int = 0
    duplicates: int = 0
    skipped: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    def text(self, limit: int = 1000) -> str:
        lines = [
            f"recorded: {self.recorded:,}", f"duplicates: {self.duplicates:,} (recorded before)",
            *([f"skipped: {self.skipped:,} (test orders, guest checkouts)"] if self.skipped else []),
            f"rejected: {len(self.rejected):,}",
        ]
        for rejected in sorted(self.rejected, key=lambda r: r.line)[:limit]:
            lines.append(f"  line {rejected.line}: {rejected.reason}")
        if len(self.rejected) > limit:
            lines.append(f"  … and {len(self.rejected) - limit:,} more")
        return "\n".join(lines)


def check(path: Path, format: str) -> int:
    """Read the whole file for what would refuse it, before anything is recorded (raises
    FileRefused); the number of its lines, for the progress bar."""
    for _ in FORMATS[format](path, True):
        pass
    return sum(1 for _ in text_lines(path))


async def import_file(
    shop: Shop,
    path: Path,
    format: str,
    *,
    batch: int = BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> Summary:
    """Record the file's activities in `shop`; `progress` is told (lines done, lines in all)
    as the batches commit. Raises FileRefused (nothing recorded) for a file of the wrong
    shape."""
    total = check(path, format)
    summary = Summary()
    pending: list[Read] = []

    def tell(line: int) -> None:
        if progress:
            progress(line, total)

    async def flush() -> None:
        result = await import_activities(shop, [r.item for r in pending])
        for item in result.items:
            read = pending[item.index]
            if item.problems:
                member = (MEMBER_OF[read.item.kind],)
                summary.rejected.append(Rejected(read.line, problems_text(DomainError(item.problems), member)))
            elif item.duplicate:
                summary.duplicates += 1
            else:
                summary.recorded += 1
        tell(pending[-1].line)
        pending.clear()

    last_line = 0
    for entry in FORMATS[format](path, False):
        if entry.line != last_line:  # the entries of one line come one after the other
            summary.lines, last_line = summary.lines + 1, entry.line
        if isinstance(entry, Read):
            pending.append(entry)
            if len(pending) >= batch:
                await flush()
        elif isinstance(entry, Skipped):
            summary.skipped += 1
        else:
            summary.rejected.append(entry)
    if pending:
        await flush()
    tell(total)
    return summary
