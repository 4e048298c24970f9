"""Discount and gift codes: unique and unguessable (80 random bits)."""

import secrets

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def new_code() -> str:
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(16))
    return "MS-" + "-".join(chars[i : i + 4] for i in range(0, 16, 4))
