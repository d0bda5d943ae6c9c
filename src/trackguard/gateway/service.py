"""All enabled gateways of one process: built from the settings, started and stopped together.

Which gateways run is `settings.enabled_gateways` (`TRACKGUARD_GATEWAYS`, e.g.
"osmand,gt06"; "none" for none), each on its `<name>_port` setting (Traccar's
default ports) or the protocol's default port. TCP protocols get a `TcpGateway`,
OsmAnd (HTTP) an `HttpGateway`, OwnTracks ("mqtt") an `MqttGateway`. They share
one connection limit and one batch writer.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from typing import Protocol

from trackguard.clock import Clock, system_clock
from trackguard.errors import ConfigurationError, NotFound
from trackguard.gateway.http import HttpGateway
from trackguard.gateway.mqtt import MqttGateway
from trackguard.gateway.stats import ConnectionLimit, GatewayStats
from trackguard.gateway.tcp import GatewayLimits, ListeningGateway, PositionSink, TcpGateway
from trackguard.protocols import registry
from trackguard.settings import Settings

log = logging.getLogger(__name__)


class _Gateway(Protocol):
    name: str
    stats: GatewayStats

    async def start(self) -> None: ...
    async def stop(self, grace: float = ...) -> None: ...


def mqtt_client_id(settings: Settings) -> str:
    """Stable per database: the broker keeps our session (and queued messages) over restarts."""
    digest = hashlib.sha256(settings.resolved_database_url.encode()).hexdigest()[:12]
    return f"trackguard-{digest}"


class Gateways:
    def __init__(
        self,
        settings: Settings,
        sink: PositionSink,
        *,
        names: Sequence[str] | None = None,
        ports: Mapping[str, int] | None = None,
        clock: Clock = system_clock,
        mqtt_client: str | None = None,
    ) -> None:
        self.settings = settings
        self.sink = sink
        self.names = list(settings.enabled_gateways if names is None else names)
        self.port_overrides = dict(ports or {})
        self.clock = clock
        self.mqtt_client = mqtt_client or mqtt_client_id(settings)
        self.limits = GatewayLimits.from_settings(settings)
        self.connection_limit = ConnectionLimit(settings.gateway_max_connections)
        self.gateways: list[_Gateway] = []

    def _port(self, name: str, default: int | None) -> int:
        if name in self.port_overrides:
            return self.port_overrides[name]
        port = getattr(self.settings, f"{name}_port", None)
        if isinstance(port, int):
            return port
        if default is None:
            raise ConfigurationError(f"gateway {name} has no port setting and no default port")
        return default

    def _build(self, name: str) -> _Gateway:
        try:
            spec = registry.get(name)
        except NotFound as exc:
            raise ConfigurationError(f"TRACKGUARD_GATEWAYS: {exc}") from None
        if spec.transport == "mqtt":
            return MqttGateway(
                spec,
                url=self.settings.mqtt_url,
                topic=self.settings.mqtt_topic,
                client_id=self.mqtt_client,
                sink=self.sink,
                limits=self.limits,
                clock=self.clock,
            )
        kind: type[HttpGateway | TcpGateway] = (
            HttpGateway if spec.transport == "http" else TcpGateway
        )
        return kind(
            spec,
            host=self.settings.host,
            port=self._port(name, spec.default_port),
            sink=self.sink,
            limits=self.limits,
            connection_limit=self.connection_limit,
            clock=self.clock,
        )

    async def start(self) -> None:
        seen = set()
        try:
            for name in self.names:
                if name in seen:
                    continue
                seen.add(name)
                gateway = self._build(name)
                await gateway.start()
                self.gateways.append(gateway)
        except BaseException:
            await self.stop(grace=0)
            raise

    async def stop(self, grace: float = 5.0) -> None:
        gateways, self.gateways = self.gateways, []
        for gateway in gateways:
            try:
                await gateway.stop(grace)
            except Exception as exc:
                log.error("gateway %s did not stop cleanly: %s", gateway.name, type(exc).__name__)
            log.info("%s", gateway.stats.summary())

    def stats(self) -> dict[str, GatewayStats]:
        return {g.name: g.stats for g in self.gateways}

    def listening(self) -> dict[str, int]:
        """Protocol name -> bound port of the socket gateways."""
        return {g.name: g.port for g in self.gateways if isinstance(g, ListeningGateway)}

    def get(self, name: str) -> _Gateway:
        for gateway in self.gateways:
            if gateway.name == name:
                return gateway
        raise NotFound(f"gateway {name} is not running")
