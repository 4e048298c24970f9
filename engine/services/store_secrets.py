"""Store connections' signing secrets at rest.

Verifying a platform's signature needs the secret in clear, so it cannot be hashed like an
API key. With STORE_SECRET_KEY set (one or more Fernet keys, comma-separated, the first one
sealing), a secret is stored encrypted; without it, plainly (the operations guide warns).
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

SEALED = "fernet:"
PLAIN = "plain:"


class SecretUnreadable(Exception):
    """A sealed secret that none of the configured keys opens."""


class SecretBox:
    def __init__(self, keys: str = "") -> None:
        parts = [part.strip() for part in keys.split(",") if part.strip()]
        try:
            self._fernet = MultiFernet([Fernet(part) for part in parts]) if parts else None
        except ValueError as error:
            raise ValueError(
                "STORE_SECRET_KEY must be Fernet keys (32 url-safe base64-encoded bytes),"
                " comma-separated"
            ) from error

    @property
    def encrypts(self) -> bool:
        return self._fernet is not None

    def seal(self, secret: str) -> str:
        if self._fernet is None:
            return PLAIN + secret
        return SEALED + self._fernet.encrypt(secret.encode()).decode()

    def open(self, stored: str) -> str:
        if stored.startswith(PLAIN):
            return stored[len(PLAIN) :]
        if self._fernet is None:
            raise SecretUnreadable("the secret is encrypted and STORE_SECRET_KEY is not set")
        try:
            return self._fernet.decrypt(stored[len(SEALED) :].encode()).decode()
        except InvalidToken:
            raise SecretUnreadable("no key of STORE_SECRET_KEY opens the secret") from None


def new_key() -> str:
    """A fresh key for STORE_SECRET_KEY."""
    return Fernet.generate_key().decode()
