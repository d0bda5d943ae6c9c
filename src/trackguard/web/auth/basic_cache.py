"""A short memory of verified HTTP Basic credentials, so a client that sends them on
every call (as Traccar clients do) does not pay argon2's cost on every call.

An entry is keyed by an HMAC of e-mail and password under a random per-process
key (neither is kept) and remembers the customer and the password hash it was
checked against: a changed password, or an account that is no longer active,
misses the cache. Entries live `ttl` at most.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from trackguard.clock import Clock, system_clock
from trackguard.vault.blind_index import normalise

DEFAULT_TTL = timedelta(minutes=5)
MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class Verified:
    customer_id: str
    password_hash: str
    at: datetime


class BasicCredentialCache:
    def __init__(
        self, *, ttl: timedelta = DEFAULT_TTL, clock: Clock = system_clock, size: int = MAX_ENTRIES
    ) -> None:
        self.ttl, self.clock, self.size = ttl, clock, size
        self._key = secrets.token_bytes(32)
        self._entries: OrderedDict[str, Verified] = OrderedDict()
        self._lock = threading.Lock()  # request handlers run in a thread pool

    def _id(self, email: str, password: str) -> str:
        message = normalise("email", email).encode() + b"\x00" + password.encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def get(self, email: str, password: str) -> Verified | None:
        key = self._id(email, password)
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            if self.clock() - found.at >= self.ttl:
                del self._entries[key]
                return None
            return found

    def put(self, email: str, password: str, customer_id: str, password_hash: str) -> None:
        key = self._id(email, password)
        with self._lock:
            self._entries[key] = Verified(customer_id, password_hash, self.clock())
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def forget(self, email: str, password: str) -> None:
        key = self._id(email, password)
        with self._lock:
            self._entries.pop(key, None)
