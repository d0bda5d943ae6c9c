"""Signed, expiring password-reset tokens that need no table. Pure.

A token is `<customer id>.<expiry, unix seconds>.<MAC>`, the MAC an HMAC-SHA256 under a
key derived from the vault (stable across workers, unknown to anyone without the master
key) over the id, the expiry and a digest of the account's current sign-in state: its
password hash, last sign-in, e-mail index and status. Setting a new password changes
that state, so a token works once; a sign-in since it was sent, a changed e-mail
address or a closed account also ends it. Nothing is stored, so there is nothing to
steal from the database either.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from trackguard.clock import as_utc
from trackguard.vault import Vault

RESET_LIFETIME = timedelta(hours=1)
_MAX_TOKEN = 200
_ID_CHARS = frozenset("0123456789abcdef")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def account_state(
    *,
    password_hash: str | None,
    last_login: datetime | None,
    email_index: str | None,
    status: str,
) -> str:
    """What a token is bound to: any change to these ends every token sent before."""
    parts = (
        password_hash or "",
        as_utc(last_login).isoformat() if last_login is not None else "",
        email_index or "",
        status,
    )
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class ResetClaim:
    """What a well-formed token says; whether it holds needs `ResetTokens.holds`."""

    customer_id: str
    expires: datetime
    mac: str


class ResetTokens:
    def __init__(self, key: bytes, lifetime: timedelta = RESET_LIFETIME) -> None:
        if len(key) < 16:
            raise ValueError("a reset-token key has at least 128 bits")
        self._key, self.lifetime = key, lifetime

    @classmethod
    def from_vault(cls, vault: Vault) -> ResetTokens:
        # A keyed hash of a fixed label under the vault's index key (as the CSRF key is).
        return cls(bytes.fromhex(vault.blind_index("reset_key", "trackguard-password-reset-v1")))

    def _mac(self, customer_id: str, expiry: int, state: str) -> str:
        message = f"{customer_id}\x00{expiry}\x00{state}".encode()
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest())

    def issue(self, customer_id: str, state: str, now: datetime) -> str:
        expiry = int((as_utc(now) + self.lifetime).timestamp())
        return f"{customer_id}.{expiry}.{self._mac(customer_id, expiry, state)}"

    @staticmethod
    def read(token: str | None) -> ResetClaim | None:
        """The token's parts, or None when it is not even shaped like one."""
        if not token or len(token) > _MAX_TOKEN:
            return None
        parts = token.strip().split(".")
        if len(parts) != 3:
            return None
        customer_id, expiry, mac = parts
        if not customer_id or not set(customer_id) <= _ID_CHARS or not mac:
            return None
        if not expiry.isdigit() or len(expiry) > 11:  # beyond the year 5000: not ours
            return None
        return ResetClaim(customer_id, datetime.fromtimestamp(int(expiry), UTC), mac)

    def holds(self, claim: ResetClaim, state: str, now: datetime) -> bool:
        """Unexpired, and signed by us for this account in its present state."""
        if as_utc(now) >= claim.expires:
            return False
        expected = self._mac(claim.customer_id, int(claim.expires.timestamp()), state)
        return hmac.compare_digest(expected, claim.mac)
