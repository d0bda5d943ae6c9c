"""Password hashing with argon2id: hash, verify in constant time, rehash when parameters age.

`verify` spends the same work whether or not the account exists: for an unknown
account it checks the password against a dummy hash made with the same
parameters, so the response time does not tell which e-mail addresses have an
account.
"""

from __future__ import annotations

import contextlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# Long enough for any passphrase, short enough that hashing it is no denial of service.
MAX_PASSWORD_LENGTH = 1024


class Passwords:
    """argon2id with the library's recommended parameters (or the ones passed in)."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        if not password or len(password) > MAX_PASSWORD_LENGTH:
            raise ValueError(f"a password is 1 to {MAX_PASSWORD_LENGTH} characters")
        return self.hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """Whether `password` matches `stored`; None (no account) costs the same and fails."""
        candidate = password[:MAX_PASSWORD_LENGTH] if password else ""
        if stored is None:
            self._burn(candidate)
            return False
        try:
            return self.hasher.verify(stored, candidate)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        """True when `stored` was made with other parameters than ours (rehash on login)."""
        try:
            return self.hasher.check_needs_rehash(stored)
        except InvalidHashError:
            return True

    def _burn(self, candidate: str) -> None:
        if self._dummy is None:
            self._dummy = self.hasher.hash("no account has this password")
        with contextlib.suppress(VerificationError, InvalidHashError):
            self.hasher.verify(self._dummy, candidate)
