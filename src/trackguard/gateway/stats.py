"""Counters of what the gateways saw, and the connection limit they share.

Counters hold numbers only: no IMEI, address, coordinate or peer IP ever goes
into them or into the log lines made from them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class GatewayStats:
    """What one gateway (one protocol on one port) has seen since it started."""

    name: str
    connections: int = 0  # accepted (MQTT: connects to the broker)
    active: int = 0  # open now
    refused: int = 0  # closed at once: over the connection limit
    frames: int = 0  # decoded frames (HTTP: requests; MQTT: messages)
    positions: int = 0  # positions acknowledged after their commit
    acks: int = 0  # acks (HTTP: 200 responses) sent
    malformed: int = 0  # connections closed for input the protocol does not allow
    oversized: int = 0  # connections closed for a frame over the size limit
    idle_closed: int = 0  # connections closed after the idle timeout
    write_failures: int = 0  # positions not stored: no ack was sent

    def to_dict(self) -> dict[str, int | str]:
        return asdict(self)

    def summary(self) -> str:
        return (
            f"{self.name}: {self.connections} connections ({self.refused} refused), "
            f"{self.frames} frames, {self.positions} positions acknowledged, "
            f"{self.malformed} malformed, {self.oversized} oversized, "
            f"{self.idle_closed} idle timeouts, {self.write_failures} not stored"
        )


class ConnectionLimit:
    """Open connections across all gateways of one process, at most `maximum`."""

    def __init__(self, maximum: int) -> None:
        self.maximum = maximum
        self.active = 0

    def try_acquire(self) -> bool:
        if self.active >= self.maximum:
            return False
        self.active += 1
        return True

    def release(self) -> None:
        self.active = max(0, self.active - 1)
