"""Short human-readable site codes with a check character.

A code is 6 symbols of Crockford's base32 (no I, L, O, U: nothing to misread on a door
label) plus one check symbol computed with the Luhn mod-32 algorithm, which catches
every single-symbol error and every swap of two neighbours. Example: "K7Q2MX4".
"""

from __future__ import annotations

import hashlib

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
BODY_LENGTH = 6
N = len(ALPHABET)


def check_symbol(body: str) -> str:
    factor, total = 2, 0
    for char in reversed(body):
        addend = factor * _INDEX[char]
        factor = 1 if factor == 2 else 2
        total += addend // N + addend % N
    return ALPHABET[(N - total % N) % N]


def make_code(seed: str, attempt: int = 0) -> str:
    """A code derived from a seed (the site's UUID); `attempt` moves past a collision."""
    digest = hashlib.sha256(f"{seed}:{attempt}".encode()).digest()
    number = int.from_bytes(digest[:8], "big")
    body = ""
    for _ in range(BODY_LENGTH):
        number, rem = divmod(number, N)
        body += ALPHABET[rem]
    return body + check_symbol(body)


def normalize(code: str) -> str:
    """Upper-case and map the look-alikes people type (O→0, I/L→1)."""
    return code.strip().upper().replace("O", "0").replace("I", "1").replace("L", "1")


def is_valid(code: str) -> bool:
    if len(code) != BODY_LENGTH + 1 or any(c not in _INDEX for c in code):
        return False
    return check_symbol(code[:-1]) == code[-1]
