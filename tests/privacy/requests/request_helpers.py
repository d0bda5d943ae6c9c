"""Shared by the rights-request tests: a movable clock, an SMTP inbox, row counts."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EMAIL = "jan.de.vries@example.nl"
OTHER_EMAIL = "els.bakker@example.nl"


class MovableClock:
    """A clock tests move forward by hand; never the wall clock."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"

    def bodies(self) -> list[str]:
        return [str(m.get_payload(decode=True), "utf-8") for _, m in self.messages]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


AddCustomer = Callable[..., str]


@dataclass(frozen=True)
class Counts:
    requests: int
    events: int
    audit: int
