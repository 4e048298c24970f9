"""CPU time read from `/proc` (Linux): user + system seconds of a process, of a process and
all its descendants (a server's workers), and of the PostgreSQL processes that serve one
database (its backends, and the cluster's own writers: WAL, checkpoints, background writes)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
# The cluster's own processes, whose work every database's commits cause.
POSTGRES_AUXILIARY = ("walwriter", "checkpointer", "background writer", "autovacuum", "logical replication")


def _stat(pid: int) -> list[str] | None:
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; the fields after its closing ")" are plain.
    return stat[stat.rindex(")") + 2 :].split()


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds the process (all its threads) has used so far; None where
    `/proc` is absent or the process is gone."""
    fields = _stat(pid)
    if fields is None:
        return None
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def _pids() -> list[int]:
    return [int(p.name) for p in PROC.iterdir() if p.name.isdigit()]


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it."""
    children: dict[int, list[int]] = {}
    for p in _pids():
        fields = _stat(p)
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(p)
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def _cmdline(pid: int) -> str:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def postgres_pids(database: str) -> list[int]:
    """The backends connected to `database` and the cluster's auxiliary processes (process
    titles as PostgreSQL sets them: "postgres: user database host(port) state")."""
    found = []
    for pid in _pids():
        title = _cmdline(pid)
        if not title.startswith("postgres: "):
            continue
        # Debian's clusters put their name first ("postgres: 15/main: user database …").
        words = title.split()
        if database in words[1:5] or any(a in title for a in POSTGRES_AUXILIARY):
            found.append(pid)
    return found


@dataclass
class Sample:
    """CPU seconds by process, at one moment."""

    server: dict[int, float]
    postgres: dict[int, float]


class Meter:
    """CPU used between two samples by a server's process tree and, on PostgreSQL, by the
    processes serving its database. A process that appears in between counts from zero."""

    def __init__(self, server_pid: int, postgres_database: str | None = None) -> None:
        self.server_pid, self.database = server_pid, postgres_database

    def sample(self) -> Sample:
        server = {p: cpu_seconds(p) or 0.0 for p in descendants(self.server_pid)}
        postgres = {p: cpu_seconds(p) or 0.0 for p in postgres_pids(self.database)} if self.database else {}
        return Sample(server, postgres)

    @staticmethod
    def used(before: Sample, after: Sample) -> dict[str, float]:
        def spent(a: dict[int, float], b: dict[int, float]) -> float:
            return sum(max(0.0, seconds - a.get(pid, 0.0)) for pid, seconds in b.items())

        return {"server": spent(before.server, after.server), "postgres": spent(before.postgres, after.postgres)}
