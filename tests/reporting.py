"""Lines a test wants seen in every run (counts of what it tried), not only with `-s`."""

from __future__ import annotations

import contextlib

import pytest


def report(config: pytest.Config, line: str) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None:
        print(line)
        return
    suspended = capture.global_and_fixture_disabled() if capture else contextlib.nullcontext()
    with suspended:
        reporter.write_line("")
        reporter.write_line(line)
