"""One simulated device talking to a server over TCP, HTTP or MQTT.

A driver sends its device's reports at a steady rate and, where the protocol
acknowledges reports, waits for each ack before the next (as real trackers do),
recording the ack latency. Everything it learns goes into a shared `DriveStats`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from trackguard.protocols.base import DeviceEncoder, PositionReport, ProtocolSpec
from trackguard.simulator.motion import SimulatedDevice

ACK_TIMEOUT_S = 30.0


@dataclass
class DriveStats:
    """Counters of a simulation run; latencies in seconds, one per acked report."""

    connected: int = 0
    sent: int = 0
    acked: int = 0
    failed_devices: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)

    def error(self, exc: BaseException) -> None:
        name = type(exc).__name__
        self.errors[name] = self.errors.get(name, 0) + 1
        self.failed_devices += 1


@dataclass(frozen=True)
class Target:
    host: str
    port: int


class _Pacer:
    """Sleeps so that sends happen `interval` apart (0: as fast as acks allow)."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._next = time.monotonic()

    async def wait(self) -> None:
        if self.interval <= 0:
            return
        self._next += self.interval
        delay = self._next - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)


async def _read_ack(
    reader: asyncio.StreamReader, buffer: bytearray, encoder: DeviceEncoder
) -> None:
    while True:
        length = encoder.read_ack(bytes(buffer))
        if length:
            del buffer[:length]
            return
        chunk = await asyncio.wait_for(reader.read(4096), ACK_TIMEOUT_S)
        if not chunk:
            raise ConnectionError("server closed the connection before acknowledging")
        buffer += chunk


def _packets(
    spec: ProtocolSpec, reports: Iterator[PositionReport], records_per_packet: int
) -> Iterator[tuple[int, Callable[[int], bytes]]]:
    """(records, encode(serial)) per packet: one report each, or several per Teltonika AVL
    packet (as real Teltonika devices send their buffered records)."""
    assert spec.encoder is not None
    encoder = spec.encoder
    if records_per_packet > 1 and spec.name == "teltonika":
        from trackguard.protocols.teltonika import avl_packet, encode_record

        while chunk := list(itertools.islice(reports, records_per_packet)):
            records = [encode_record(r) for r in chunk]
            # AVL packets carry no serial: the encoder ignores it.
            yield len(records), functools.partial(_avl_packet, avl_packet, records)
        return
    for report in reports:
        yield 1, functools.partial(encoder.position, report)


def _avl_packet(build: Callable[[list[bytes]], bytes], records: list[bytes], _serial: int) -> bytes:
    return build(records)


async def drive_tcp(
    spec: ProtocolSpec,
    target: Target,
    device: SimulatedDevice,
    reports: Iterator[PositionReport],  # already limited to the run's count
    interval: float,
    stats: DriveStats,
    *,
    records_per_packet: int = 1,
) -> None:
    """`records_per_packet` > 1: Teltonika devices send that many records per AVL packet
    (one ack for all; `sent`/`acked` count records, `latencies` one per packet)."""
    assert spec.encoder is not None
    encoder = spec.encoder
    reader, writer = await asyncio.open_connection(target.host, target.port)
    stats.connected += 1
    buffer = bytearray()
    try:
        hello = encoder.hello(device.imei)
        if hello is not None:
            writer.write(hello)
            await writer.drain()
            if encoder.acks_positions:  # protocols that ack reports also ack the login
                await _read_ack(reader, buffer, encoder)
        pacer = _Pacer(interval)
        packets = _packets(spec, reports, records_per_packet)
        for serial, (records, encode) in enumerate(packets, start=1):
            started = time.perf_counter()
            writer.write(encode(serial & 0xFFFF))
            await writer.drain()
            stats.sent += records
            if encoder.acks_positions:
                await _read_ack(reader, buffer, encoder)
                stats.latencies.append(time.perf_counter() - started)
                stats.acked += records
            await pacer.wait()
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()


async def drive_http(
    spec: ProtocolSpec,
    target: Target,
    device: SimulatedDevice,
    reports: Iterator[PositionReport],
    interval: float,
    stats: DriveStats,
) -> None:
    import httpx

    from trackguard.protocols.osmand import parse_request_frame

    assert spec.encoder is not None
    pacer = _Pacer(interval)
    base = f"http://{target.host}:{target.port}/"
    async with httpx.AsyncClient(timeout=ACK_TIMEOUT_S) as client:
        stats.connected += 1
        for serial, report in enumerate(reports, start=1):
            request = parse_request_frame(spec.encoder.position(report, serial))
            started = time.perf_counter()
            stats.sent += 1
            response = await client.request(
                request.method,
                f"{base}?{request.query}",
                content=request.body or None,
                headers={"Content-Type": request.content_type} if request.content_type else None,
            )
            if response.status_code != 200:
                raise ConnectionError(f"server answered HTTP {response.status_code}")
            stats.latencies.append(time.perf_counter() - started)
            stats.acked += 1
            await pacer.wait()


async def drive_mqtt(
    spec: ProtocolSpec,
    target: Target,
    device: SimulatedDevice,
    reports: Iterator[PositionReport],
    interval: float,
    stats: DriveStats,
) -> None:
    """Publish OwnTracks messages with QoS 1: the ack is the broker's PUBACK."""
    import aiomqtt

    from trackguard.protocols.owntracks import parse_message_frame

    assert spec.encoder is not None
    pacer = _Pacer(interval)
    async with aiomqtt.Client(target.host, target.port, identifier=f"sim-{device.imei}") as client:
        stats.connected += 1
        for serial, report in enumerate(reports, start=1):
            topic, payload = parse_message_frame(spec.encoder.position(report, serial))
            started = time.perf_counter()
            stats.sent += 1
            await client.publish(topic, payload, qos=1)
            stats.latencies.append(time.perf_counter() - started)
            stats.acked += 1
            await pacer.wait()


DRIVERS = {"tcp": drive_tcp, "http": drive_http, "mqtt": drive_mqtt}
