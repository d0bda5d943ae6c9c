"""The fideslang taxonomy, as plain key sets, and the ancestor rule for dotted keys.

Fides keys are dotted paths (`user.contact.email`); a declared key covers its
descendants, so a record that declares `user.contact` may hold `user.contact.email`.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from fideslang import DEFAULT_TAXONOMY


@lru_cache(maxsize=1)
def data_categories() -> frozenset[str]:
    """Every data category key of fideslang's default taxonomy."""
    return frozenset(c.fides_key for c in DEFAULT_TAXONOMY.data_category)


@lru_cache(maxsize=1)
def data_uses() -> frozenset[str]:
    """Every data use key of fideslang's default taxonomy."""
    return frozenset(u.fides_key for u in DEFAULT_TAXONOMY.data_use)


@lru_cache(maxsize=1)
def data_subjects() -> frozenset[str]:
    """Every data subject key of fideslang's default taxonomy."""
    return frozenset(s.fides_key for s in DEFAULT_TAXONOMY.data_subject)


def parent(key: str) -> str | None:
    """`user.contact.email` -> `user.contact`; a top-level key has no parent."""
    head, dot, _ = key.rpartition(".")
    return head if dot else None


def ancestors(key: str) -> list[str]:
    """The key itself and every ancestor, nearest first."""
    out = [key]
    while (up := parent(out[-1])) is not None:
        out.append(up)
    return out


def covers(declared: str, key: str) -> bool:
    """Whether `declared` is `key` or one of its ancestors."""
    return key == declared or key.startswith(declared + ".")


def covered_by(key: str, declared: Iterable[str]) -> bool:
    """Whether any of `declared` covers `key`."""
    return any(covers(d, key) for d in declared)


def nearest(key: str, declared: Iterable[str]) -> str | None:
    """The nearest of `declared` that covers `key` (itself first), or None."""
    pool = set(declared)
    return next((k for k in ancestors(key) if k in pool), None)


def is_personal(key: str) -> bool:
    """`user.*` keys describe people; `system.*` keys describe the system."""
    return covers("user", key)
