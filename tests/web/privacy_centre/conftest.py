"""The demo data on a fresh runtime (each backend) with a local SMTP inbox, an app around
it, and a browser-like client signed in through the portal's own form. The privacy API
tests use the same fixtures."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from sqlalchemy import select

from trackguard.demo.generate import DEMO_EMAIL, DEMO_PASSWORD
from trackguard.demo.seed import seed_demo
from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.store.models import Customer
from trackguard.web.app import create_app

NOW = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class MovableClock:
    """A clock the tests move by hand; never the wall clock."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"

    def bodies(self) -> list[str]:
        return [str(m.get_payload(decode=True), "utf-8") for m in self.messages]


@dataclass(frozen=True)
class World:
    demo_id: str
    other_id: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    box, port = Inbox(), _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture
def mails(inbox: tuple[Inbox, int]) -> Inbox:
    return inbox[0]


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(NOW)


@pytest.fixture
def runtime(settings: Settings, inbox: tuple[Inbox, int], clock: MovableClock) -> Iterator[Runtime]:
    configured = settings.model_copy(update={"smtp_port": inbox[1]})
    with Runtime.open(configured, clock=clock) as opened:
        yield opened


@pytest.fixture
def world(runtime: Runtime) -> World:
    report = seed_demo(runtime, customers=2)
    assert report.demo_customer_id is not None
    with runtime.db.session() as session:
        other = session.scalar(
            select(Customer.id).where(Customer.id != report.demo_customer_id).limit(1)
        )
    assert other is not None
    return World(report.demo_customer_id, other)


@pytest.fixture
def app(runtime: Runtime, world: World) -> FastAPI:
    return create_app(runtime)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def token_in(html: str) -> str:
    found = TOKEN.search(html)
    assert found is not None, "the page has no CSRF token"
    return found.group(1)


async def sign_in(
    client: httpx.AsyncClient, email: str = DEMO_EMAIL, password: str = DEMO_PASSWORD
) -> httpx.Response:
    page = await client.get("/portal/sign-in")
    return await client.post(
        "/portal/sign-in",
        data={"email": email, "password": password, "csrf_token": token_in(page.text)},
    )


@pytest.fixture
async def signed_in(client: httpx.AsyncClient) -> httpx.AsyncClient:
    response = await sign_in(client)
    assert response.status_code == 303, response.text
    return client


async def post_form(
    client: httpx.AsyncClient, page: str, action: str, data: dict[str, str]
) -> httpx.Response:
    """Open `page` for its CSRF token, then send the form to `action`."""
    token = token_in((await client.get(page)).text)
    return await client.post(action, data={**data, "csrf_token": token})
