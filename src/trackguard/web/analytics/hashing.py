"""The day's visitor hash and the marks derived from it. Pure.

visitor = BLAKE2b keyed with the day's salt over (site, IP address, user agent),
truncated to 128 bits: the same browser on the same address is the same visitor
for one day on one site, and unrelated on any other day (a new salt) or site.
Only marks are stored: mark = BLAKE2b(visitor, dimension, value), so the table
says "someone was counted for this page today" and nothing about who, or which
other pages that someone saw.
"""

from __future__ import annotations

import hashlib
import secrets

SALT_BYTES = 32
DIGEST_BYTES = 16  # 128 bits: no collisions among a day's visitors in practice
_SEPARATOR = b"\x00"


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


def visitor_hash(salt: bytes, site: str, address: str, user_agent: str) -> bytes:
    message = _SEPARATOR.join(
        part.encode("utf-8", "replace") for part in (site, address, user_agent)
    )
    return hashlib.blake2b(message, key=salt, digest_size=DIGEST_BYTES).digest()


def group_mark(visitor: bytes, dimension: str, value: str) -> str:
    message = _SEPARATOR.join((visitor, dimension.encode(), value.encode("utf-8", "replace")))
    return hashlib.blake2b(message, digest_size=DIGEST_BYTES).hexdigest()
