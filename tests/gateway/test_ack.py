"""A device is acknowledged only after the batch holding its position is committed."""

from __future__ import annotations

import asyncio

import pytest
from tests.gateway.helpers import (
    IMEI,
    Device,
    GatedWriter,
    position_packet,
    report,
    start_gateways,
)

from trackguard.errors import NotFound
from trackguard.gateway.writer import PositionWriter
from trackguard.runtime import Runtime
from trackguard.tracking.devices import find_device
from trackguard.tracking.positions import read_positions

pytestmark = pytest.mark.anyio


def stored_times(runtime: Runtime, imei: str = IMEI) -> list[object]:
    with runtime.db.session() as session:
        try:
            device = find_device(session, runtime.vault, imei)
        except NotFound:
            return []  # not even registered yet
        return [p.time for p in read_positions(session, runtime.vault, device.id)]


async def test_device_gets_no_ack_before_commit(runtime: Runtime) -> None:
    writer = GatedWriter(runtime.db, runtime.vault, batch_max_delay=0.01)
    await writer.start()
    gateways = await start_gateways(runtime.settings, writer, ["gt06"])
    device = await Device.connect(gateways.listening()["gt06"])
    try:
        await device.login()  # a login carries no position: acked at once
        await device.send(position_packet(0))
        with pytest.raises(TimeoutError):
            await device.ack(timeout=0.5)
        assert stored_times(runtime) == []

        writer.gate.set()  # the commit goes through: now the ack may go out
        await device.ack()
        assert stored_times(runtime) == [report(0).time]
        assert gateways.get("gt06").stats.positions == 1
    finally:
        writer.gate.set()
        device.close()
        await gateways.stop()
        await writer.close()


async def test_a_failed_batch_sends_no_ack_and_the_resent_fix_is_stored(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    import trackguard.gateway.writer as writer_module

    def broken(*args: object, **kw: object) -> None:
        raise RuntimeError("disk full")

    original = writer_module.insert_positions
    monkeypatch.setattr(writer_module, "insert_positions", broken)
    async with PositionWriter.from_runtime(runtime) as writer:
        gateways = await start_gateways(runtime.settings, writer, ["gt06"])
        try:
            device = await Device.connect(gateways.listening()["gt06"])
            await device.login()
            await device.send(position_packet(0))
            with pytest.raises(ConnectionResetError):
                await device.ack()  # closed without an ack: the device will resend
            assert gateways.get("gt06").stats.write_failures == 1
            assert writer.stats.failed_positions == 1

            monkeypatch.setattr(writer_module, "insert_positions", original)
            again = await Device.connect(gateways.listening()["gt06"])
            await again.login()
            await again.send(position_packet(0))
            await again.ack()
            again.close()
        finally:
            await gateways.stop()
    assert stored_times(runtime) == [report(0).time]


async def test_acks_follow_frame_order_and_come_once_per_frame(runtime: Runtime) -> None:
    async with PositionWriter.from_runtime(runtime) as writer:
        gateways = await start_gateways(runtime.settings, writer, ["gt06"])
        device = await Device.connect(gateways.listening()["gt06"])
        try:
            await device.login()
            await device.send(b"".join(position_packet(n) for n in range(20)))
            serials = [int.from_bytes((await device.ack())[-6:-4], "big") for _ in range(20)]
            assert serials == [n + 2 for n in range(20)]
        finally:
            device.close()
            await gateways.stop()
    assert stored_times(runtime) == [report(n).time for n in range(20)]


async def test_filtered_fixes_are_acked_but_not_stored(runtime: Runtime) -> None:
    async with PositionWriter.from_runtime(runtime) as writer:
        gateways = await start_gateways(runtime.settings, writer, ["gt06"])
        device = await Device.connect(gateways.listening()["gt06"])
        try:
            await device.login()
            await device.send(position_packet(0))
            await device.ack()
            await device.send(position_packet(0))  # the same fix again: a duplicate
            await device.ack()
        finally:
            device.close()
            await gateways.stop()
        await asyncio.sleep(0)
        assert writer.stats.filtered == 1
    assert stored_times(runtime) == [report(0).time]
