"""Logs as one JSON object per line, with secrets scrubbed before anything is written."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

# API keys ("msk_<role>_<random>"), webhook secrets ("whsec_<random>") and bearer credentials,
# wherever they appear in a line.
_SECRET = re.compile(
    r"msk_[a-z]+_[A-Za-z0-9_\-]+|whsec_[A-Za-z0-9_\-]+|(?i:bearer)\s+[A-Za-z0-9._~+/=\-]+"
)
_REDACTED = "[redacted]"
# Attributes every record has, and uvicorn's terminal-colour duplicate of the message.
STANDARD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {
    "message", "asctime", "taskName", "color_message"
}


def scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _SECRET.sub(_REDACTED, value)
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    return value


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "message", ...}`; fields passed with `extra=` are included."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in STANDARD_ATTRIBUTES and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(scrub(line), default=str)
