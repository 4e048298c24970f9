"""`milestones import FILE [--shop ID] [--format …]`: the shop, a progress bar on a terminal,
the summary (importer/ does the reading and the recording)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from importer.lines import FileRefused
from importer.run import guess_format, import_file
from models import Shop

# The exit status when some lines were rejected (the rest was recorded).
SOME_REJECTED = 3


async def _shop(raw: str | None) -> Shop:
    """The shop `--shop` names; without it the only shop there is."""
    from api.cli import CliError, _shop_pk

    if raw is not None:
        shop = await Shop.get_or_none(id=_shop_pk(raw))
        if shop is None:
            raise CliError(f"no shop with id {raw}")
        return shop
    shops = await Shop.all().order_by("id").limit(11)
    if not shops:
        raise CliError("there is no shop yet: create one with `milestones shop create`")
    if len(shops) > 1:
        listed = ", ".join(str(s.id) for s in shops[:10]) + (", …" if len(shops) > 10 else "")
        raise CliError(f"there are several shops ({listed}): say which with --shop ID")
    return shops[0]


async def run_import(path: Path, shop_id: str | None, format: str | None, outcome: list[int]) -> None:
    from api.cli import CliError

    shop = await _shop(shop_id)
    started = time.perf_counter()
    try:
        chosen = format or guess_format(path)
        if sys.stderr.isatty():
            summary = await _with_bar(shop, path, chosen)
        else:
            summary = await import_file(shop, path, chosen)
    except FileRefused as error:
        raise CliError(str(error)) from None
    seconds = time.perf_counter() - started
    print(f"{path.name} ({chosen}) into shop {shop.id} ({shop.name}): {summary.lines:,} lines in {seconds:.1f} s")
    print(summary.text())
    outcome.append(SOME_REJECTED if summary.rejected else 0)


async def _with_bar(shop: Shop, path: Path, format: str):
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(f"checking {path.name}", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, description=f"importing {path.name}", completed=done, total=total)

        return await import_file(shop, path, format, progress=advance)
