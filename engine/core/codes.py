"""Discount and gift codes: unique and unguessable (80 random bits)."""

import secrets

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def new_code() -> str:
    # 32 letters are 5 bits each: 16 of them spell 80 random bits, drawn at once.
    bits = int.from_bytes(secrets.token_bytes(10), "big")
    chars = "".join(_ALPHABET[(bits >> (5 * i)) & 31] for i in range(16))
    return "MS-" + "-".join(chars[i : i + 4] for i in range(0, 16, 4))
