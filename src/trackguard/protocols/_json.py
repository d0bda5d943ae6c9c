"""Typed reads of JSON location messages (OsmAnd's JSON body, OwnTracks), shared by the
protocols that receive them. Each protocol passes its own error factory, so errors keep
naming the protocol and the field, never the value (values can be personal data)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import MappingProxyType

from trackguard.protocols.base import ProtocolError

# Fix times outside these are refused as garbage.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)

Fail = Callable[[str], ProtocolError]


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def loads(data: bytes) -> object:
    """Strict JSON: NaN and Infinity (which Python's json accepts) raise ValueError."""
    return json.loads(data, parse_constant=_no_constant)


def finite(value: object) -> bool:
    """A JSON number (not a boolean) that is a finite float."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer with hundreds of digits
        return False


class JsonFields:
    """Reads one field of a decoded JSON object; JSON null counts as absent."""

    def __init__(self, fail: Fail, max_text: int) -> None:
        self.fail, self.max_text = fail, max_text

    def required(self, parent: dict[str, object], key: str) -> float:
        value = parent.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(f"'{key}' is not a number")
        if not finite(value):
            raise self.fail(f"'{key}' is not a finite number")
        return float(value)

    def number(self, parent: dict[str, object], key: str) -> float | None:
        return None if parent.get(key) is None else self.required(parent, key)

    def flag(self, parent: dict[str, object], key: str) -> bool | None:
        value = parent.get(key)
        if value is not None and not isinstance(value, bool):
            raise self.fail(f"'{key}' is not true or false")
        return value

    def text(self, parent: dict[str, object], key: str) -> str | None:
        value = parent.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > self.max_text):
            raise self.fail(f"'{key}' is not a short text")
        return value

    def object(self, parent: dict[str, object], key: str) -> dict[str, object] | None:
        value = parent.get(key)
        if value is not None and not isinstance(value, dict):
            raise self.fail(f"'{key}' is not an object")
        return value


def course(degrees: float) -> float | None:
    """Degrees clockwise from north; a negative course is the apps' 'unknown'."""
    if degrees < 0.0:
        return None
    return degrees if degrees <= 360.0 else degrees % 360.0


def epoch(seconds: float, fail: Fail, field: str = "timestamp") -> datetime:
    if not EARLIEST.timestamp() <= seconds < LATEST.timestamp():
        raise fail(f"'{field}' outside 1970..2099")
    return datetime.fromtimestamp(seconds, UTC)


def frozen(values: dict[str, object]) -> Mapping[str, object]:
    return MappingProxyType(values)
