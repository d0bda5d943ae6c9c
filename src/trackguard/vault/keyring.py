"""Unwrapped data keys held in memory: one `SubjectKeyring` per subject and key class.

Unwrapping costs a database read and an AES-GCM operation; position ingest and
seeding encrypt thousands of fields per second for the same few subjects, so
the keys stay in a bounded LRU. Entries also expire after a TTL, which bounds
how long another process's `destroy_keys` can go unnoticed here.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from trackguard.vault.envelope import DataKey

RingKey = tuple[str, str]  # (subject, key class)
_monotonic = time.monotonic


@dataclass(frozen=True, slots=True)
class SubjectKeyring:
    """Every version of one subject's data key of one class; None marks a destroyed one."""

    keys: Mapping[int, DataKey | None]
    expires: float
    current_version: int | None = None
    current: DataKey | None = None  # None: no key yet, or the newest one is destroyed

    @classmethod
    def build(cls, keys: Mapping[int, DataKey | None], ttl: float) -> SubjectKeyring:
        expires = time.monotonic() + ttl
        if not keys:
            return cls(keys, expires)
        newest = max(keys)
        return cls(keys, expires, newest, keys[newest])

    @property
    def destroyed(self) -> bool:
        """True when keys exist and the newest of them is destroyed."""
        return self.current_version is not None and self.current is None


class KeyCache:
    """A thread-safe LRU of keyrings with a time-to-live."""

    def __init__(self, size: int, ttl: float) -> None:
        if size < 1 or ttl <= 0:
            raise ValueError("key cache needs a positive size and TTL")
        self.size, self.ttl = size, ttl
        self._rings: OrderedDict[RingKey, SubjectKeyring] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: RingKey) -> SubjectKeyring | None:
        # No lock on the hot path: single OrderedDict operations are atomic under the GIL,
        # and a ring evicted between the two steps is simply returned once more.
        ring = self._rings.get(key)
        if ring is None or ring.expires < _monotonic():
            return None  # an expired ring is replaced by the next put
        try:  # noqa: SIM105  (contextlib.suppress costs more than the whole lookup)
            self._rings.move_to_end(key)
        except KeyError:
            pass
        return ring

    def put(self, key: RingKey, ring: SubjectKeyring) -> None:
        with self._lock:
            self._rings[key] = ring
            self._rings.move_to_end(key)
            while len(self._rings) > self.size:
                self._rings.popitem(last=False)

    def discard(self, key: RingKey) -> None:
        with self._lock:
            self._rings.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._rings.clear()

    def __len__(self) -> int:
        return len(self._rings)
