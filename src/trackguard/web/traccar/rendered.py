"""Traccar JSON of stored position rows, kept between requests.

`GET /api/positions` answers the same rows again and again: a client polls the
latest fixes, a map reloads a day whose past hours are compacted blocks that no
longer change. Opening and rendering those rows is most of a request's cost, so
the JSON of each row's fixes is kept here, keyed by everything it was made
from: device, stored fix time, key reference, fix count, the ciphertext itself,
and the device's number and protocol. A row that changes in any way (new block,
new key, rectified payload) is a new key; a deleted row is simply no longer
asked for.

Crypto-shredding must stay instant, so an entry is never proof that its key
still exists: `position_lists` has the vault open one ciphertext of every
subject key an answer uses, on every request, and serves entries only after
that succeeded. When the vault refuses a key, `forget_subject` drops all of
that subject's entries. Entries also leave after `ttl` seconds (the vault's own
key cache keeps unwrapped keys that long) and, oldest first, beyond `max_bytes`.

One level up, `RecentAnswers` keeps whole answers (the encoded JSON array) with
the exact rows they were made from: a poll that finds the same rows again sends
the same bytes without touching a row, after the same per-key opening as above
(`Answer.probes`: one ciphertext of every subject key the answer uses).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from trackguard.vault import Vault
from trackguard.web.traccar.ids import CommittedNumbers

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_TTL = 60.0  # seconds; the vault's key cache TTL
# What an entry costs besides its JSON text: a time string and an offset per fix.
_PER_FIX_OVERHEAD = 90
# What an answer costs besides its JSON: the row it keeps per device or block (ciphertext
# included) to compare the next request's rows with.
_PER_ROW_OVERHEAD = 400

# (device id, stored fix time, stored received time, key_ref, fixes, ciphertext,
#  device number, device protocol)
RowKey = tuple[str, str, str, str, int | None, bytes, int, str | None]


@dataclass(frozen=True, slots=True)
class RenderedRow:
    """One stored row's fixes: their times (ascending, unique) and their Traccar JSON.

    The JSON objects are kept as one comma-separated run (`text`, with where each
    one starts): a whole row goes into an answer as one piece, with no copy per fix.
    """

    key: tuple[str, int]  # (subject, key version) of the ciphertext it was opened from
    times: list[str]  # `iso_utc_text`, as blocks store them
    text: bytes
    starts: list[int]

    @classmethod
    def of(cls, key: tuple[str, int], times: list[str], items: Sequence[bytes]) -> RenderedRow:
        starts, at = [], 0
        for item in items:
            starts.append(at)
            at += len(item) + 1
        return cls(key, times, b",".join(items), starts)

    @property
    def size(self) -> int:
        return len(self.text) + _PER_FIX_OVERHEAD * len(self.times)

    def last(self) -> bytes:
        """The JSON of the newest fix."""
        return self.text[self.starts[-1] :]

    def run(self, low: int, high: int) -> bytes:
        """The JSON of fixes `low` to `high - 1`, comma-separated (empty when none)."""
        if low <= 0 and high >= len(self.starts):
            return self.text
        if low >= high:
            return b""
        end = len(self.text) if high >= len(self.starts) else self.starts[high] - 1
        return self.text[self.starts[low] : end]


# One stored ciphertext per (subject, key version) an answer uses: (subject, device id,
# stored fix time, key_ref, ciphertext), what `position_lists` opens to prove the key is there.
Probe = tuple[str, str, str, str, bytes]


@dataclass(frozen=True, slots=True)
class Answer:
    """A list answer as sent (`body`, a JSON array) and the rows it was made from."""

    rows: list[tuple[Any, ...]]
    body: bytes
    probes: tuple[Probe, ...]

    @property
    def size(self) -> int:
        return len(self.body) + _PER_ROW_OVERHEAD * len(self.rows)


class RecentAnswers:
    """The last answer per list (a customer's latest fixes, a device's period), served
    again only for identical rows; bounded, expiring and shredded like `RenderedRows`."""

    def __init__(self, max_bytes: int, ttl: float, clock: Callable[[], float]) -> None:
        self.max_bytes, self.ttl, self._clock = max_bytes, ttl, clock
        self._answers: OrderedDict[Hashable, tuple[float, Answer]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def recall(self, key: Hashable, rows: list[tuple[Any, ...]]) -> Answer | None:
        """The answer kept under `key` if it was made from exactly `rows` (and is not stale)."""
        found = self._answers.get(key)
        if found is None or found[0] < self._clock() or found[1].rows != rows:
            return None
        return found[1]

    def keep(self, key: Hashable, answer: Answer) -> None:
        size = answer.size
        with self._lock:
            self._drop(key)
            if size > self.max_bytes:
                return
            self._answers[key] = (self._clock() + self.ttl, answer)
            self._bytes += size
            now = self._clock()
            while self._answers:
                expires = next(iter(self._answers.values()))[0]
                if expires >= now and self._bytes <= self.max_bytes:
                    break
                self._bytes -= self._answers.popitem(last=False)[1][1].size

    def forget_subject(self, subject: str) -> None:
        with self._lock:
            for key in [
                k
                for k, (_, answer) in self._answers.items()
                if any(probe[0] == subject for probe in answer.probes)
            ]:
                self._drop(key)

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._answers)

    def _drop(self, key: Hashable) -> None:
        old = self._answers.pop(key, None)
        if old is not None:
            self._bytes -= old[1].size


class RenderedRows:
    """A thread-safe, size-bounded cache of `RenderedRow`s that forgets after `ttl` seconds.

    Kept in insertion order and never reordered on a hit, so the oldest entries are
    always at the front: expiry and eviction both pop from there.
    """

    def __init__(
        self,
        max_bytes: int = DEFAULT_MAX_BYTES,
        ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_bytes < 1 or ttl <= 0:
            raise ValueError("the rendered-row cache needs a positive size and TTL")
        self.max_bytes, self.ttl, self._clock = max_bytes, ttl, clock
        self._rows: OrderedDict[RowKey, tuple[float, int, RenderedRow]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        # Whole answers hold copies of rows' JSON: a quarter of the budget on top.
        self.answers = RecentAnswers(max(1, max_bytes // 4), ttl, clock)
        self.numbers = CommittedNumbers()

    def get(self, key: RowKey) -> RenderedRow | None:
        # No lock on the hot path: one dict look-up is atomic under the GIL.
        found = self._rows.get(key)
        if found is None or found[0] < self._clock():
            return None
        return found[2]

    def put(self, key: RowKey, row: RenderedRow) -> None:
        size = row.size
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._rows.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._rows[key] = (self._clock() + self.ttl, size, row)
            self._bytes += size
            self._expire()
            while self._bytes > self.max_bytes:
                self._bytes -= self._rows.popitem(last=False)[1][1]

    def expire(self) -> None:
        """Drop the entries whose time is up (a request calls this before it reads)."""
        with self._lock:
            self._expire()

    def forget_subject(self, subject: str) -> None:
        """Drop every entry of `subject` (its key was destroyed, or could not be opened)."""
        with self._lock:
            for key in [k for k, (_, _, row) in self._rows.items() if row.key[0] == subject]:
                self._bytes -= self._rows.pop(key)[1]
        self.answers.forget_subject(subject)

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()
            self._bytes = 0
        self.answers.clear()

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def bytes(self) -> int:
        return self._bytes

    def _expire(self) -> None:
        now = self._clock()
        rows = self._rows
        while rows:
            expires, size, _ = next(iter(rows.values()))
            if expires >= now:
                return
            rows.popitem(last=False)
            self._bytes -= size


_BY_VAULT: weakref.WeakKeyDictionary[Vault, RenderedRows] = weakref.WeakKeyDictionary()
_BY_VAULT_LOCK = threading.Lock()


def rendered_rows_of(vault: Vault) -> RenderedRows:
    """The cache of the database this vault unlocks (one per open runtime, made on first use)."""
    found = _BY_VAULT.get(vault)
    if found is None:
        with _BY_VAULT_LOCK:
            found = _BY_VAULT.setdefault(vault, RenderedRows())
    return found
