"""Live updates: an in-process hub that hands committed positions and events to the
customer's open connections (the WebSocket endpoint subscribes here).

Each subscription has a bounded queue. A subscriber that does not keep up loses
its *oldest* messages, never the newest, and the loss is counted (per
subscription and for the hub), so a slow browser tab cannot make the gateway
wait or the server grow without bound. Publishing never blocks and never raises.

Everything runs on one event loop; `publish` must be called from it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Literal

from trackguard.clock import as_utc
from trackguard.protocols.base import PositionReport

DEFAULT_QUEUE = 256


@dataclass(frozen=True, slots=True)
class LiveMessage:
    """One update for a customer: a committed position or a raised event."""

    kind: Literal["position", "event"]
    device_id: str
    data: Mapping[str, Any] = field(default_factory=dict)


class Subscription:
    """One connection's queue; iterate it, and close it (or use `with`) when done."""

    def __init__(self, hub: LiveHub, customer_id: str, size: int) -> None:
        self.customer_id = customer_id
        self.dropped = 0
        self._hub = hub
        self._queue: asyncio.Queue[LiveMessage | None] = asyncio.Queue(maxsize=size)
        self._closed = False

    def put(self, message: LiveMessage) -> bool:
        """Queue `message`; when full, drop the oldest first. False if one was dropped."""
        if self._closed:
            return True
        dropped = False
        if self._queue.full():
            self._queue.get_nowait()  # one loop: full stays full until we take one
            self.dropped += 1
            dropped = True
        self._queue.put_nowait(message)
        return not dropped

    async def get(self) -> LiveMessage | None:
        """The next message, or None once the subscription is closed."""
        if self._closed and self._queue.empty():
            return None
        return await self._queue.get()

    def pending(self) -> int:
        return self._queue.qsize()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._hub._remove(self)
        if self._queue.full():
            self._queue.get_nowait()
        self._queue.put_nowait(None)  # wakes a reader waiting in `get`

    def __enter__(self) -> Subscription:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __aiter__(self) -> AsyncIterator[LiveMessage]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[LiveMessage]:
        while True:
            message = await self.get()
            if message is None:
                return
            yield message


class LiveHub:
    """Subscribers per customer; `publish_*` fan a message out to all of theirs."""

    def __init__(self, queue_size: int = DEFAULT_QUEUE) -> None:
        if queue_size < 1:
            raise ValueError("a live queue holds at least one message")
        self.queue_size = queue_size
        self.dropped = 0
        self._subscribers: dict[str, set[Subscription]] = {}

    def subscribe(self, customer_id: str, *, queue_size: int | None = None) -> Subscription:
        subscription = Subscription(self, customer_id, queue_size or self.queue_size)
        self._subscribers.setdefault(customer_id, set()).add(subscription)
        return subscription

    def subscriber_count(self, customer_id: str | None = None) -> int:
        if customer_id is not None:
            return len(self._subscribers.get(customer_id, ()))
        return sum(len(s) for s in self._subscribers.values())

    def publish(self, customer_id: str, message: LiveMessage) -> int:
        """Hand `message` to every subscriber of `customer_id`; returns how many got it."""
        subscribers = self._subscribers.get(customer_id)
        if not subscribers:
            return 0
        for subscription in list(subscribers):
            if not subscription.put(message):
                self.dropped += 1
        return len(subscribers)

    def publish_position(self, customer_id: str, device_id: str, report: PositionReport) -> int:
        return self.publish(customer_id, LiveMessage("position", device_id, position_data(report)))

    def publish_event(self, customer_id: str, device_id: str, data: Mapping[str, Any]) -> int:
        return self.publish(customer_id, LiveMessage("event", device_id, data))

    def _remove(self, subscription: Subscription) -> None:
        subscribers = self._subscribers.get(subscription.customer_id)
        if subscribers is None:
            return
        subscribers.discard(subscription)
        if not subscribers:
            del self._subscribers[subscription.customer_id]


def position_data(report: PositionReport) -> dict[str, Any]:
    """A position as live clients get it (km/h; the Traccar socket converts at its edge)."""
    data: dict[str, Any] = {
        "fixTime": _iso(report.time),
        "valid": report.valid,
        "latitude": report.latitude,
        "longitude": report.longitude,
        "speed": report.speed,
    }
    for name in ("course", "altitude", "battery", "ignition", "motion"):
        value = getattr(report, name)
        if value is not None:
            data[name] = value
    if report.alarm is not None:
        data["alarm"] = report.alarm.value
    return data


def _iso(moment: datetime) -> str:
    return as_utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")
