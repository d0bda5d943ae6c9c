"""name -> ProtocolSpec. A new protocol is one module plus one line here."""

from __future__ import annotations

from trackguard.errors import NotFound
from trackguard.protocols.base import ProtocolSpec


def _load() -> dict[str, ProtocolSpec]:
    from trackguard.protocols import gt06, h02, osmand, owntracks, teltonika, watch

    specs = [osmand.SPEC, gt06.SPEC, teltonika.SPEC, h02.SPEC, watch.SPEC, owntracks.SPEC]
    return {spec.name: spec for spec in specs}


_REGISTRY: dict[str, ProtocolSpec] | None = None


def protocols() -> dict[str, ProtocolSpec]:
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = _load()
    return _REGISTRY


def get(name: str) -> ProtocolSpec:
    try:
        return protocols()[name]
    except KeyError:
        known = ", ".join(sorted(protocols()))
        raise NotFound(f"unknown protocol '{name}' (known: {known})") from None
