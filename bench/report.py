"""The result table: one row per figure, beside its floor and its target."""

from __future__ import annotations

import json
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Figure:
    """The median of several runs, with their min and max."""

    median: float
    low: float
    high: float
    runs: list[float] = field(default_factory=list)

    @classmethod
    def of(cls, runs: list[float]) -> Figure:
        return cls(statistics.median(runs), min(runs), max(runs), list(runs))


@dataclass
class Row:
    scenario: str
    figure: Figure
    unit: str
    floor: Figure | None = None
    floor_name: str = ""
    target: str = ""
    # met(figure, ratio) -> bool; None when the row only reports.
    check: Callable[[float, float | None], bool] | None = field(default=None, repr=False)
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.floor is None or not self.floor.median:
            return None
        return self.figure.median / self.floor.median

    @property
    def met(self) -> bool | None:
        return None if self.check is None else bool(self.check(self.figure.median, self.ratio))

    def as_json(self) -> dict:
        data = asdict(self)
        data.pop("check")
        data.update(ratio=self.ratio, met=self.met)
        return data


def _num(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _figure(figure: Figure | None, unit: str = "") -> str:
    if figure is None:
        return "-"
    spread = f" ({_num(figure.low)}–{_num(figure.high)})" if len(figure.runs) > 1 else ""
    return f"{_num(figure.median)}{spread} {unit}".strip()


def table(rows: list[Row]) -> str:
    header = ["scenario", "figure (min–max)", "floor", "ratio", "target", "met"]
    lines = []
    for row in rows:
        floor = f"{row.floor_name}: {_figure(row.floor)}" if row.floor else "-"
        ratio = f"{row.ratio:.2f}" if row.ratio is not None else "-"
        met = {None: "", True: "yes", False: "NO"}[row.met]
        lines.append([row.scenario, _figure(row.figure, row.unit), floor, ratio, row.target, met])
    widths = [max(len(header[i]), *(len(line[i]) for line in lines)) for i in range(len(header))]
    out = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=False)) + " |"]
    out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for line in lines:
        out.append("| " + " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=False)) + " |")
    notes = [f"- {row.scenario}: {row.note}" for row in rows if row.note]
    if notes:
        out += ["", *notes]
    return "\n".join(out)


def write_json(rows: list[Row], path: Path, mode: str, seconds: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "mode": mode,
        "seconds": round(seconds, 1),
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count(),
                    "platform": platform.platform()},
        "rows": [row.as_json() for row in rows],
    }
    path.write_text(json.dumps(data, indent=2))
