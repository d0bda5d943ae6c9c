"""Plain helpers for policy tests (fixtures are in conftest.py)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import yaml

Mutation = Callable[[dict[str, Any]], None]


@lru_cache(maxsize=4)
def _parsed(text: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return data


def mutated_text(text: str, mutate: Mutation) -> str:
    """The policy after `mutate` changed its parsed data, written as JSON (which is YAML,
    and quick to parse: quoted scalars skip YAML's type guessing)."""
    data = copy.deepcopy(_parsed(text))
    mutate(data)
    return json.dumps(data, ensure_ascii=False, indent=1, default=str)


def item(items: list[dict[str, Any]], value: str, field: str = "key") -> dict[str, Any]:
    """The list entry whose `field` is `value`."""
    return next(entry for entry in items if entry.get(field) == value)


def line_of(text: str, needle: str) -> int:
    """1-based line of the only line containing `needle`."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) == 1, f"{needle!r} found on lines {hits}"
    return hits[0]
