"""How the server's log lines look: readable lines in a terminal, JSON objects otherwise.

`LOG_FORMAT` chooses: `auto` (the default) writes text when standard error is a terminal and
JSON when it is not (a file, a pipe, a process manager); `json` and `text` force one.
"""

from __future__ import annotations

import logging
import sys
from datetime import datetime
from typing import Any

from api.jsonlog import STANDARD_ATTRIBUTES, JsonFormatter, scrub

LOG_FORMATS = ("auto", "json", "text")


class TextFormatter(logging.Formatter):
    """`14:10:24 INFO  milestones.requests  request  method=POST path=/graphql status=200`."""

    def format(self, record: logging.LogRecord) -> str:
        time = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        extra = " ".join(
            f"{key}={value}"
            for key, value in vars(record).items()
            if key not in STANDARD_ATTRIBUTES and not key.startswith("_")
        )
        line = f"{time} {record.levelname:<7} {record.name}  {record.getMessage()}"
        if extra:
            line = f"{line}  {extra}"
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return scrub(line)


def formatter_for(log_format: str, stream: Any = None) -> type[logging.Formatter]:
    if log_format not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}.")
    if log_format == "auto":
        stream = stream or sys.stderr
        log_format = "text" if hasattr(stream, "isatty") and stream.isatty() else "json"
    return TextFormatter if log_format == "text" else JsonFormatter


def logging_config(level: str = "INFO", log_format: str = "auto") -> dict[str, Any]:
    """A `logging.config.dictConfig` for the server, uvicorn's own loggers included."""
    handler = {"class": "logging.StreamHandler", "formatter": "line", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"line": {"()": formatter_for(log_format)}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": True},
            "tortoise": {"level": "WARNING"},
        },
    }
