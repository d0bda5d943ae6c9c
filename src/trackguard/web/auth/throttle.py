"""Login rate limiting per account and client address (pure, in memory).

After `max_failures` failed sign-ins for one account from one address within
`window`, further attempts from there are refused until the oldest failure
leaves the window; a success clears the count. Keys are a keyed hash of the
normalised e-mail and the address under a random per-process key, so the
throttle holds no e-mail address or IP address, and nothing of it survives a
restart (a restart gives an attacker one more window, no more).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
from collections import deque
from datetime import datetime, timedelta

from trackguard.clock import Clock, system_clock
from trackguard.vault.blind_index import normalise

DEFAULT_MAX_FAILURES = 5
DEFAULT_WINDOW = timedelta(minutes=15)
# Past this many tracked keys, expired ones are swept (and the oldest dropped if need be).
MAX_KEYS = 100_000


class LoginThrottle:
    def __init__(
        self,
        *,
        max_failures: int = DEFAULT_MAX_FAILURES,
        window: timedelta = DEFAULT_WINDOW,
        clock: Clock = system_clock,
        max_keys: int = MAX_KEYS,
    ) -> None:
        if max_failures < 1 or window <= timedelta(0):
            raise ValueError("a throttle allows at least one failure within a positive window")
        self.max_failures, self.window, self.clock = max_failures, window, clock
        self.max_keys = max_keys
        self._key = secrets.token_bytes(32)
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()  # request handlers run in a thread pool

    def _id(self, account: str, address: str) -> str:
        message = normalise("email", account).encode() + b"\x00" + address.encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def _recent(self, key: str, now: datetime) -> deque[datetime] | None:
        times = self._failures.get(key)
        if times is None:
            return None
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times

    def retry_after(self, account: str, address: str) -> int | None:
        """Seconds until `account` may be tried again from `address`; None if it may now."""
        now, key = self.clock(), self._id(account, address)
        with self._lock:
            times = self._recent(key, now)
            if times is None or len(times) < self.max_failures:
                return None
            free_at = times[-self.max_failures] + self.window
        return max(1, math.ceil((free_at - now).total_seconds()))

    def failed(self, account: str, address: str) -> None:
        now, key = self.clock(), self._id(account, address)
        with self._lock:
            times = self._recent(key, now)
            if times is None:
                if len(self._failures) >= self.max_keys:
                    self._sweep(now)
                times = self._failures[key] = deque(maxlen=self.max_failures)
            times.append(now)

    def succeeded(self, account: str, address: str) -> None:
        key = self._id(account, address)
        with self._lock:
            self._failures.pop(key, None)

    def tracked(self) -> int:
        return len(self._failures)

    def _sweep(self, now: datetime) -> None:
        for key in list(self._failures):
            self._recent(key, now)
        while len(self._failures) >= self.max_keys:
            oldest = min(self._failures, key=lambda k: self._failures[k][-1])
            del self._failures[oldest]
