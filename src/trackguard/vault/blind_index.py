"""Blind indexes: a keyed hash of a normalised value, so encrypted columns can be looked up.

The index key is its own random key, wrapped by the master key but never
derived from it: rotating the master key must leave every stored index valid.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable

from trackguard.errors import VaultError

_KIND = re.compile(r"[a-z][a-z0-9_]{0,39}")


def _plain(value: str) -> str:
    return unicodedata.normalize("NFC", value).strip()


def _email(value: str) -> str:
    # Mailboxes are case-insensitive in practice: users type "Jan@Example.NL" one day
    # and "jan@example.nl" the next, and must find the same account.
    return _plain(value).lower()


def _compact(value: str) -> str:
    # Device identifiers are printed in groups ("35 209 9..."): spaces and dashes carry nothing.
    return re.sub(r"[\s\-]", "", _plain(value))


NORMALISERS: dict[str, Callable[[str], str]] = {"email": _email, "imei": _compact}


def normalise(kind: str, value: str) -> str:
    """The form of `value` that is hashed: NFC and trimmed, plus per-kind rules."""
    return NORMALISERS.get(kind, _plain)(value)


class BlindIndexer:
    """HMAC-SHA256 under the index key, separated per kind so indexes never collide."""

    def __init__(self, index_key: bytes) -> None:
        self._mac = hmac.new(index_key, digestmod=hashlib.sha256)

    def __repr__(self) -> str:
        return "BlindIndexer()"

    def index(self, kind: str, value: str) -> str:
        if not _KIND.fullmatch(kind):
            raise VaultError("a blind-index kind is a short lowercase name like 'email'")
        if not isinstance(value, str):
            raise VaultError(f"a blind index is made from text, not {type(value).__name__}")
        mac = self._mac.copy()  # copying the keyed state skips re-hashing the key each time
        mac.update(kind.encode() + b"\x00" + normalise(kind, value).encode())
        return mac.hexdigest()
