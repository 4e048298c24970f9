"""Orders from a CSV file whose header row names the columns, as `RecordOrderInput` names
its fields:

    customerExternalId,orderId,total,currency,occurredAt,email
    c1,1001,12.50,USD,2025-03-01T10:00:00+00:00,ada@example.com

The first four are required, `occurredAt` and `email` may be left out or empty (an empty
`occurredAt` means now, which a store's history rarely wants). Any other column refuses the
file, so that a misspelt `occurredAt` is not read as "now".
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from importer.activity_json import Unusable, activity_of
from importer.lines import Entry, FileRefused, Read, Rejected, text_lines

REQUIRED = ("customerExternalId", "orderId", "total", "currency")
OPTIONAL = ("occurredAt", "email")


def entries(path: Path, shape_only: bool = False) -> Iterator[Entry]:
    """The file's entries (`shape_only` is for NDJSON: here the whole file is read)."""
    numbered = text_lines(path)
    last = [0]
    rows = csv.reader(_remember(numbered, last))
    header = next(rows, None)
    if header is None or not any(cell.strip() for cell in header):
        raise FileRefused(f"{path.name} is empty: the first line names the columns ({','.join(REQUIRED)})")
    columns = [cell.strip() for cell in header]
    unknown = [c for c in columns if c not in REQUIRED + OPTIONAL]
    if unknown:
        raise FileRefused(
            f"{path.name}: unknown column {', '.join(map(repr, unknown))}; the columns are"
            f" {', '.join(REQUIRED + OPTIONAL)}"
        )
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise FileRefused(f"{path.name} has no column {', '.join(missing)} (the header row names the columns)")
    for row in rows:
        line = last[0]
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            yield Rejected(line, f"has {len(row)} cells; the header names {len(columns)} columns")
            continue
        fields = {name: cell.strip() for name, cell in zip(columns, row, strict=True) if cell.strip()}
        try:
            yield Read(line, activity_of({"order": fields}))
        except Unusable as error:
            yield Rejected(line, str(error))


def _remember(numbered: Iterator[tuple[int, str]], last: list[int]) -> Iterator[str]:
    """The lines' text, keeping the number of the line read last in `last[0]` (a quoted cell
    may span lines: a row's number is that of its last line)."""
    for number, text in numbered:
        last[0] = number
        yield text
