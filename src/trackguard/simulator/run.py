"""Run N simulated devices of one protocol against a server and summarise what happened."""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from trackguard.protocols.registry import get as get_protocol
from trackguard.simulator.drivers import DRIVERS, DriveStats, Target, drive_tcp
from trackguard.simulator.motion import SimulatedDevice, reports, simulated_devices


@dataclass(frozen=True)
class SimulationPlan:
    protocol: str
    target: Target
    devices: int
    rate: float  # reports per second per device; 0 = as fast as acks allow
    count: int | None  # reports per device; None = until stopped
    seed: int = 1
    connects_per_second: float = 500.0  # thousands of simultaneous SYNs overflow backlogs
    records_per_packet: int = 1  # > 1: Teltonika devices send several records per packet


@dataclass(frozen=True)
class SimulationResult:
    protocol: str
    devices: int
    seconds: float
    stats: DriveStats

    @property
    def rate(self) -> float:
        return self.stats.acked / self.seconds if self.seconds else 0.0

    def latency_ms(self, quantile: float) -> float | None:
        latencies = self.stats.latencies
        if not latencies:
            return None
        if len(latencies) == 1:
            return latencies[0] * 1000
        cuts = statistics.quantiles(latencies, n=100, method="inclusive")
        return cuts[max(0, min(98, round(quantile * 100) - 1))] * 1000

    def to_dict(self) -> dict[str, object]:
        return {
            "protocol": self.protocol,
            "devices": self.devices,
            "connected": self.stats.connected,
            "sent": self.stats.sent,
            "acked": self.stats.acked,
            "failed_devices": self.stats.failed_devices,
            "errors": dict(self.stats.errors),
            "seconds": round(self.seconds, 3),
            "acked_per_second": round(self.rate, 1),
            "ack_latency_ms_p50": self.latency_ms(0.50),
            "ack_latency_ms_p99": self.latency_ms(0.99),
        }


def fix_time_step(rate: float) -> timedelta:
    """Fix times advance at least a second per report: most protocols resolve seconds,
    and two fixes of one device in the same second are duplicates to the server."""
    return timedelta(seconds=max(1.0, 1.0 / rate)) if rate > 0 else timedelta(seconds=1)


def first_fix_time(now: datetime, step: timedelta, count: int | None) -> datetime:
    """Counted runs end at `now`, so fast runs never report from the future."""
    now = now.replace(microsecond=0)
    return now - step * (count - 1) if count else now


async def run_simulation(
    plan: SimulationPlan,
    *,
    stop: asyncio.Event | None = None,
    on_progress: Callable[[DriveStats], None] | None = None,
    now: datetime | None = None,
) -> SimulationResult:
    spec = get_protocol(plan.protocol)
    if spec.encoder is None:
        raise ValueError(f"protocol {plan.protocol} cannot be simulated")
    drive = DRIVERS[spec.transport]
    stats = DriveStats()
    stop = stop or asyncio.Event()
    step = fix_time_step(plan.rate)
    start = first_fix_time(now or datetime.now(UTC), step, plan.count)
    interval = 1.0 / plan.rate if plan.rate > 0 else 0.0

    async def one(index: int, device: SimulatedDevice) -> None:
        stream = reports(device, plan.protocol, start, step, plan.seed)
        limited = itertools.islice(stream, plan.count) if plan.count else stream
        until_stopped = itertools.takewhile(lambda _: not stop.is_set(), limited)
        await asyncio.sleep(index / plan.connects_per_second)
        try:
            if plan.records_per_packet > 1 and spec.transport == "tcp":
                await drive_tcp(
                    spec,
                    plan.target,
                    device,
                    until_stopped,
                    interval,
                    stats,
                    records_per_packet=plan.records_per_packet,
                )
            else:
                await drive(spec, plan.target, device, until_stopped, interval, stats)
        except Exception as exc:  # a refused socket or a protocol error ends this device only
            stats.error(exc)

    async def report_progress() -> None:
        while on_progress is not None:
            on_progress(stats)
            await asyncio.sleep(0.5)

    started = time.perf_counter()
    progress = asyncio.create_task(report_progress())
    try:
        devices = simulated_devices(plan.devices, plan.seed)
        await asyncio.gather(*(one(i, d) for i, d in enumerate(devices)))
    finally:
        progress.cancel()
    if on_progress is not None:
        on_progress(stats)
    return SimulationResult(plan.protocol, plan.devices, time.perf_counter() - started, stats)
