"""Shared by the analytics tests: a clock to move, browsers to be, and a way to visit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import select

from trackguard.runtime import Runtime
from trackguard.store.base import Base
from trackguard.store.models import AnalyticsDailyCount
from trackguard.web.auth import Passwords

START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
SITE = "www.example.test"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
FAST_PASSWORDS = Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@dataclass
class MovableClock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


async def visit(
    app: FastAPI,
    path: str,
    *,
    address: str = "198.51.100.1",
    agent: str = FIREFOX,
    headers: dict[str, str] | None = None,
    site: str = SITE,
) -> httpx.Response:
    """One request from `address` with user agent `agent`, as a browser would send it."""
    transport = httpx.ASGITransport(app=app, client=(address, 50123))
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{site}") as client:
        return await client.get(path, headers={"user-agent": agent, **(headers or {})})


def counts(runtime: Runtime, day: datetime | None = None) -> dict[tuple[str, str], tuple[int, int]]:
    """(dimension, value) -> (visitors, page views), of one UTC day or all days added."""
    found: dict[tuple[str, str], tuple[int, int]] = {}
    with runtime.db.session() as session:
        query = select(AnalyticsDailyCount)
        if day is not None:
            query = query.where(AnalyticsDailyCount.day == day)
        for row in session.scalars(query):
            visitors, views = found.get((row.dimension, row.value), (0, 0))
            found[(row.dimension, row.value)] = (visitors + row.visitors, views + row.pageviews)
    return found


def everything_stored(runtime: Runtime) -> str:
    """Every value of every table, as text (bytes also decoded), to search for a secret in."""
    parts: list[str] = []
    with runtime.db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes | bytearray | memoryview):
                        raw = bytes(value)
                        parts.append(raw.decode("latin-1"))
                        parts.append(raw.hex())
                    else:
                        parts.append(str(value))
    return "\n".join(parts)
