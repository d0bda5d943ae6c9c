"""`serve --demo`: the demo customer's own trackers drive their routes while the server runs.

The demo data is seeded if missing; then each activated tracker of
demo@trackguard.example reports over its real protocol to this server's own
gateway every `interval`, so the portal shows it moving.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from trackguard.demo.seed import demo_customer_id, seed_demo
from trackguard.demo.tracks import BIKE_LOOP, CAR_TO_AMERSFOORT
from trackguard.protocols.registry import get as get_protocol
from trackguard.runtime import Runtime
from trackguard.simulator.drivers import DRIVERS, DriveStats, Target
from trackguard.simulator.motion import SimulatedDevice, reports
from trackguard.store.models import Device

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoTracker:
    protocol: str
    device: SimulatedDevice


def demo_trackers(runtime: Runtime) -> list[DemoTracker]:
    """The demo customer's activated trackers (seeding the demo data first if needed)."""
    seed_demo(runtime)
    with runtime.db.session() as session:
        customer = demo_customer_id(session, runtime.vault)
        devices = session.scalars(
            select(Device).where(Device.customer_id == customer).order_by(Device.created_at)
        ).all()
        trackers = []
        for device in devices:
            imei = runtime.vault.unseal(session, device, "imei") if device.imei else None
            if imei is None or device.protocol is None:
                continue
            car = (device.model or "").upper().startswith("FMB")
            route = CAR_TO_AMERSFOORT if car else BIKE_LOOP
            vehicle = "car" if car else "bike"
            trackers.append(DemoTracker(device.protocol, SimulatedDevice(imei, vehicle, route)))
        return trackers


async def drive_demo(
    trackers: list[DemoTracker], host: str, ports: dict[str, int], interval: float = 10.0
) -> DriveStats:
    """Drive every tracker whose gateway listens until cancelled; reconnect after errors."""
    stats = DriveStats()
    step = timedelta(seconds=interval)

    async def one(tracker: DemoTracker) -> None:
        spec = get_protocol(tracker.protocol)
        drive = DRIVERS[spec.transport]
        while True:
            start = datetime.now(UTC).replace(microsecond=0)
            stream = reports(tracker.device, tracker.protocol, start, step)
            try:
                # An hour per connection, then a fresh one: fix times stay close to now.
                hour = itertools.islice(stream, max(1, int(3600 / interval)))
                await drive(
                    spec,
                    Target(host, ports[tracker.protocol]),
                    tracker.device,
                    hour,
                    interval,
                    stats,
                )
            except Exception as exc:  # the server restarting, a refused socket: try again
                stats.error(exc)
                log.warning("demo tracker lost its connection (%s); retrying", type(exc).__name__)
                await asyncio.sleep(interval)

    runnable = [t for t in trackers if t.protocol in ports]
    await asyncio.gather(*(one(t) for t in runnable))
    return stats
