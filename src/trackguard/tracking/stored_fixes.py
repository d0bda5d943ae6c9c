"""Stored positions as the fixes trip detection reads (pure).

The portal's pages and the Traccar report API both turn a device's decrypted
history into `trips.Fix` values; this is the one place that says how.
"""

from __future__ import annotations

from collections.abc import Sequence

from trackguard.tracking.positions import StoredPosition
from trackguard.tracking.trips import Fix


def fixes_of(positions: Sequence[StoredPosition]) -> list[Fix]:
    return [
        Fix(
            time=p.time,
            lat=p.fix.lat,
            lon=p.fix.lon,
            speed_kmh=p.fix.speed,
            valid=p.fix.valid,
            ignition=p.fix.ignition,
            motion=p.fix.motion,
        )
        for p in positions
    ]
