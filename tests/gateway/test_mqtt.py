"""The MQTT gateway against the real broker (Mosquitto at 127.0.0.1:1883), one topic per test."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from datetime import UTC, datetime

import aiomqtt
import pytest
from tests.gateway.helpers import free_port

from trackguard.gateway.mqtt import MqttGateway
from trackguard.gateway.tcp import GatewayLimits
from trackguard.gateway.writer import PositionWriter
from trackguard.protocols import owntracks
from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.tracking.devices import find_device
from trackguard.tracking.positions import read_positions

pytestmark = pytest.mark.anyio

BROKER = ("127.0.0.1", 1883)
WHEN = datetime(2026, 3, 1, 7, 0, tzinfo=UTC)


def broker_reachable() -> bool:
    try:
        with socket.create_connection(BROKER, timeout=2):
            return True
    except OSError:
        return False


needs_broker = pytest.mark.skipif(not broker_reachable(), reason="no MQTT broker at :1883")


def location(n: int) -> bytes:
    return json.dumps(
        {
            "_type": "location",
            "lat": 52.2 + n * 0.00001,
            "lon": 5.4 + n * 0.00001,
            "tst": int(WHEN.timestamp()) + n,
            "vel": 4,
            "batt": 80,
            "tid": "jb",
        }
    ).encode()


def gateway(sink: object, user: str, *, url: str = "mqtt://127.0.0.1:1883") -> MqttGateway:
    return MqttGateway(
        owntracks.SPEC,
        url=url,
        topic=f"owntracks/{user}/+",
        client_id=f"trackguard-test-{user}",
        sink=sink,  # type: ignore[arg-type]
        limits=GatewayLimits(),
        reconnect_min=0.1,
        reconnect_max=0.5,
    )


async def wait_for(condition: object, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.05)


@needs_broker
async def test_owntracks_messages_are_stored_and_bad_ones_counted(runtime: Runtime) -> None:
    user = uuid.uuid4().hex[:12]
    async with PositionWriter.from_runtime(runtime) as writer:
        subscriber = gateway(writer, user)
        await subscriber.start()
        try:
            await asyncio.wait_for(subscriber.connected.wait(), 10)
            async with aiomqtt.Client(*BROKER, identifier=f"phone-{user}") as phone:
                topic = f"owntracks/{user}/phone"
                await phone.publish(topic, location(0), qos=1)
                await phone.publish(topic, b"{not json", qos=1)
                await phone.publish(topic, b"x" * 200_000, qos=1)  # over the size limit
                await phone.publish(topic, location(1), qos=1)
            await wait_for(lambda: subscriber.stats.positions == 2)
            assert subscriber.stats.malformed == 1
            assert subscriber.stats.oversized == 1
            assert subscriber.stats.acks == 4  # bad messages too: resending cannot fix them
        finally:
            await subscriber.stop()
    with runtime.db.session() as session:
        device = find_device(session, runtime.vault, f"{user}/phone")
        stored = read_positions(session, runtime.vault, device.id)
    assert [p.time for p in stored] == [WHEN, WHEN.replace(second=1)]
    assert stored[0].fix.protocol == "mqtt"


@needs_broker
async def test_messages_sent_while_trackguard_is_down_arrive_later(runtime: Runtime) -> None:
    user = uuid.uuid4().hex[:12]
    async with PositionWriter.from_runtime(runtime) as writer:
        first = gateway(writer, user)
        await first.start()
        await asyncio.wait_for(first.connected.wait(), 10)
        await first.stop()  # the broker keeps the session: QoS 1 messages wait for us

        async with aiomqtt.Client(*BROKER, identifier=f"phone-{user}") as phone:
            await phone.publish(f"owntracks/{user}/phone", location(0), qos=1)

        second = gateway(writer, user)
        await second.start()
        try:
            await wait_for(lambda: second.stats.positions == 1)
        finally:
            await second.stop()


async def test_an_unreachable_broker_is_retried_without_stopping(sqlite_settings: Settings) -> None:
    class NoSink:
        async def submit(self, reports: object) -> asyncio.Future[None]:
            raise AssertionError("nothing can arrive")

    subscriber = gateway(NoSink(), "nobody", url=f"mqtt://127.0.0.1:{free_port()}")
    await subscriber.start()
    try:
        await asyncio.sleep(1.0)  # several attempts with backoff
        assert not subscriber.connected.is_set()
        assert subscriber._task is not None and not subscriber._task.done()
    finally:
        await subscriber.stop()


@needs_broker
async def test_a_message_not_stored_is_not_acked_and_comes_again(sqlite_settings: Settings) -> None:
    class FailsOnce:
        def __init__(self) -> None:
            self.calls = 0
            self.stored: list[object] = []

        async def submit(self, reports: list[object]) -> asyncio.Future[None]:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self.calls += 1
            if self.calls == 1:
                future.set_exception(RuntimeError("database gone"))
            else:
                self.stored.extend(reports)
                future.set_result(None)
            return future

    user = uuid.uuid4().hex[:12]
    sink = FailsOnce()
    subscriber = gateway(sink, user)
    await subscriber.start()
    try:
        await asyncio.wait_for(subscriber.connected.wait(), 10)
        async with aiomqtt.Client(*BROKER, identifier=f"phone-{user}") as phone:
            await phone.publish(f"owntracks/{user}/phone", location(0), qos=1)
        await wait_for(lambda: len(sink.stored) == 1, timeout=15)
        assert subscriber.stats.write_failures == 1
        assert subscriber.stats.connections >= 2  # it reconnected to get the message again
    finally:
        await subscriber.stop()
