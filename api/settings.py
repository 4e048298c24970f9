"""Settings, read from the environment (and a `.env` file in the working directory)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _load_dotenv(path: Path = Path(".env")) -> None:
    """Fill unset variables from a `.env` file of KEY=VALUE lines; the environment wins."""
    if not path.is_file():
        return
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        os.environ.setdefault(key.strip(), value.strip().strip('"').strip("'"))


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return default if raw in (None, "") else int(raw)


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return default if raw in (None, "") else float(raw)


def _switch(name: str, value: str | None, default: bool) -> bool:
    raw = (value or "").strip().lower()
    if raw in ("", "default"):
        return default
    if raw in ("1", "true", "on", "yes"):
        return True
    if raw in ("0", "false", "off", "no"):
        return False
    raise ValueError(f"{name} must be on or off, not {raw!r}")


DEFAULT_DATABASE_URL = "sqlite://data/milestones.sqlite3"
STOREFRONT_OPERATIONS = Path(__file__).with_name("storefront_operations.graphql")


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    sweep_interval_seconds: float = 300.0
    webhook_poll_seconds: float = 1.0
    webhook_max_attempts: int = 8
    webhook_retry_base_seconds: float = 10.0
    cors_origins: tuple[str, ...] = field(default_factory=tuple)
    max_page_size: int = 100
    # Per API key and process; 0 turns the limit off (api/rate_limit.py).
    rate_limit_per_second: float = 50.0
    rate_limit_burst: int = 200
    max_body_bytes: int = 256 * 1024
    # Websockets (api/socket_limits.py): one message's size, and subscriptions per key and process.
    ws_max_message_bytes: int = 64 * 1024
    max_subscriptions_per_key: int = 100
    environment: str = "development"
    log_level: str = "INFO"
    log_format: str = "auto"
    shutdown_timeout_seconds: float = 30.0
    # STOREFRONT keys may run only the operations of the file (resolvers/allow_list.py).
    storefront_allow_list: bool = False
    storefront_operations_file: Path = STOREFRONT_OPERATIONS
    # Messages a subscriber may fall behind its stream's fastest socket before it is closed
    # with code 4008 (api/fanout.py).
    subscriber_queue_size: int = 1000
    # Fernet keys (comma-separated, the first seals) for connected stores' secrets; empty
    # stores them plainly (engine/services/store_secrets.py).
    store_secret_key: str = ""

    @classmethod
    def from_env(cls) -> Settings:
        _load_dotenv()
        origins = os.environ.get("CORS_ORIGINS", "")
        environment = os.environ.get("MILESTONES_ENV", "development")
        return cls(
            database_url=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            sweep_interval_seconds=_float("SWEEP_INTERVAL_SECONDS", 300.0),
            webhook_poll_seconds=_float("WEBHOOK_POLL_SECONDS", 1.0),
            webhook_max_attempts=_int("WEBHOOK_MAX_ATTEMPTS", 8),
            webhook_retry_base_seconds=_float("WEBHOOK_RETRY_BASE_SECONDS", 10.0),
            rate_limit_per_second=_float("RATE_LIMIT_PER_SECOND", 50.0),
            rate_limit_burst=_int("RATE_LIMIT_BURST", 200),
            max_body_bytes=_int("MAX_BODY_BYTES", 256 * 1024),
            ws_max_message_bytes=_int("WS_MAX_MESSAGE_BYTES", 64 * 1024),
            max_subscriptions_per_key=_int("MAX_SUBSCRIPTIONS_PER_KEY", 100),
            cors_origins=tuple(o.strip() for o in origins.split(",") if o.strip()),
            environment=environment,
            log_level=(os.environ.get("LOG_LEVEL") or "INFO").upper(),
            log_format=(os.environ.get("LOG_FORMAT") or "auto").lower(),
            shutdown_timeout_seconds=_float("SHUTDOWN_TIMEOUT_SECONDS", 30.0),
            storefront_allow_list=_switch(
                "STOREFRONT_ALLOW_LIST",
                os.environ.get("STOREFRONT_ALLOW_LIST"),
                default=environment == "production",
            ),
            storefront_operations_file=Path(
                os.environ.get("STOREFRONT_OPERATIONS_FILE") or STOREFRONT_OPERATIONS
            ),
            subscriber_queue_size=_int("SUBSCRIBER_QUEUE_SIZE", 1000),
            store_secret_key=os.environ.get("STORE_SECRET_KEY", ""),
        )
