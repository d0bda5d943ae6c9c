"""The MQTT gateway: OwnTracks apps publish to the broker, trackguard subscribes.

The subscription is QoS 1 in a persistent session (a fixed client id, no clean
session), and messages are acknowledged to the broker by hand, in order, only
after their positions are committed: what arrives while trackguard is down,
or was received but not yet stored when it died, the broker delivers again.

A message the protocol does not allow (or over the size limit) is counted and
acknowledged — sending it again would not make it valid. When the broker is
unreachable the gateway logs it and tries again with exponential backoff
(1 s up to a minute); `trackguard serve` keeps running meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import aiomqtt

from trackguard.clock import Clock, system_clock
from trackguard.errors import ConfigurationError
from trackguard.gateway.stats import GatewayStats
from trackguard.gateway.tcp import GatewayLimits, PositionSink, check_report
from trackguard.protocols import owntracks
from trackguard.protocols.base import ProtocolError, ProtocolSpec, Session

log = logging.getLogger(__name__)

MAX_IN_FLIGHT = 256  # messages received but not yet acknowledged
RECONNECT_MIN, RECONNECT_MAX = 1.0, 60.0


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "tcp", "mqtts", "ssl") or not parts.hostname:
            raise ConfigurationError(
                "TRACKGUARD_MQTT_URL must look like mqtt://host:1883 or mqtts://host:8883"
            )
        tls = parts.scheme in ("mqtts", "ssl")
        return cls(
            host=parts.hostname,
            port=parts.port or (8883 if tls else 1883),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=tls,
        )


_InFlight = tuple["asyncio.Future[None] | None", int, aiomqtt.Message]


class _Resubscribe(Exception):
    """Positions could not be stored: reconnect so the broker delivers them again."""


class MqttGateway:
    def __init__(
        self,
        spec: ProtocolSpec,
        *,
        url: str,
        topic: str,
        client_id: str,
        sink: PositionSink,
        limits: GatewayLimits,
        clock: Clock = system_clock,
        reconnect_min: float = RECONNECT_MIN,
        reconnect_max: float = RECONNECT_MAX,
    ) -> None:
        self.name = spec.name
        self.spec = spec
        self.broker = BrokerAddress.parse(url)
        self.topic = topic
        self.client_id = client_id
        self.sink = sink
        self.max_frame = min(limits.max_frame, spec.max_frame)
        self.clock = clock
        self.reconnect_min, self.reconnect_max = reconnect_min, reconnect_max
        self.stats = GatewayStats(spec.name)
        self.connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"trackguard-{self.name}")

    async def stop(self, grace: float = 5.0) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(self._task, grace)
        self._task = None

    async def _run(self) -> None:
        delay = self.reconnect_min
        while True:
            client = self._client()
            try:
                async with client:
                    await client.subscribe(self.topic, qos=1)
                    self.stats.connections += 1
                    self.stats.active = 1
                    self.connected.set()
                    log.info("gateway %s: subscribed on the MQTT broker", self.name)
                    delay = self.reconnect_min
                    await self._consume(client)
            except Exception as exc:  # broker gone, positions not stored, or a bug: retry
                log.warning(
                    "gateway %s: MQTT broker %s:%d not available (%s); retrying in %.0f s",
                    self.name,
                    self.broker.host,
                    self.broker.port,
                    type(exc).__name__,
                    delay,
                )
            finally:
                self.connected.clear()
                self.stats.active = 0
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.reconnect_max)

    def _client(self) -> aiomqtt.Client:
        kw: dict[str, Any] = {}
        if self.broker.tls:
            kw["tls_context"] = ssl.create_default_context()
        client = aiomqtt.Client(
            self.broker.host,
            self.broker.port,
            username=self.broker.username,
            password=self.broker.password,
            identifier=self.client_id,
            clean_session=False,
            keepalive=30,
            timeout=10,
            **kw,
        )
        # Acknowledge after the commit, not on receipt (paho-mqtt 2). Set before
        # connecting: a persistent session delivers queued messages at once.
        paho = getattr(client, "_client", None)
        if paho is not None and hasattr(paho, "manual_ack_set"):
            paho.manual_ack_set(True)
        return client

    async def _consume(self, client: aiomqtt.Client) -> None:
        in_flight: asyncio.Queue[_InFlight] = asyncio.Queue(maxsize=MAX_IN_FLIGHT)

        async def receive() -> None:
            async for message in client.messages:
                future, count = await self._submit(message)
                await in_flight.put((future, count, message))

        async def acknowledge() -> None:
            while True:
                future, count, message = await in_flight.get()
                if future is not None:
                    try:
                        await future
                    except Exception:
                        self.stats.write_failures += count
                        raise _Resubscribe from None
                    self.stats.positions += count
                self._ack(client, message)

        tasks = {asyncio.create_task(receive()), asyncio.create_task(acknowledge())}
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            error = task.exception()
            if error is not None:
                raise error

    async def _submit(self, message: aiomqtt.Message) -> tuple[asyncio.Future[None] | None, int]:
        """Queue the message's positions: (future of their commit, how many), or (None, 0)."""
        payload = message.payload
        if not isinstance(payload, bytes | bytearray):
            payload = str(payload).encode() if payload is not None else b""
        if len(payload) > self.max_frame:
            self.stats.oversized += 1
            return None, 0
        try:
            frame = owntracks.message_frame(str(message.topic), bytes(payload))
            decoded = self.spec.decode(frame, Session())
            for report in decoded.positions:
                check_report(report)
        except ProtocolError:
            self.stats.malformed += 1
            return None, 0
        except Exception as exc:  # a decoder bug must not stop the subscription
            self.stats.malformed += 1
            log.error("gateway %s: %s while decoding a message", self.name, type(exc).__name__)
            return None, 0
        self.stats.frames += 1
        if not decoded.positions:
            return None, 0
        try:
            return await self.sink.submit(decoded.positions), len(decoded.positions)
        except Exception:  # the writer is shutting down: leave the message unacknowledged
            self.stats.write_failures += len(decoded.positions)
            raise _Resubscribe from None

    def _ack(self, client: aiomqtt.Client, message: aiomqtt.Message) -> None:
        if message.qos <= 0:
            return
        paho = getattr(client, "_client", None)
        if paho is not None and hasattr(paho, "ack"):
            paho.ack(message.mid, message.qos)
            self.stats.acks += 1
