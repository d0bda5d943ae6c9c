"""What the portal, privacy-centre and back-office tests share: a clock moved by hand, a local
SMTP inbox, a runtime that mails to it, CSRF-protected forms, and the portal's own sign-in.

A conftest takes a fixture by naming it (`runtime = web.runtime`), as pytest finds fixtures
by the conftest's names; each area's `world` (its demo data) stays in its own conftest, and
takes the demo data from `demo_data` (tests/worlds.py), with `demo_world` named beside it.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from tests.worlds import DemoWorld, world_if_taken

from trackguard.demo.generate import DEMO_EMAIL, DEMO_PASSWORD
from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.web.app import create_app

NOW = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
DEMO_CUSTOMERS = 2  # the demo customer and one other
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
def demo_world(request: pytest.FixtureRequest, clock: MovableClock) -> DemoWorld | None:
    """The tests that take the area's `world` start with the demo data, seeded at the
    clock's moment (a copy of a template seeded once per session)."""
    return world_if_taken(request, "world", DemoWorld(clock(), customers=DEMO_CUSTOMERS))


@pytest.fixture
def runtime(settings: Settings, inbox: tuple[Inbox, int], clock: MovableClock) -> Iterator[Runtime]:
    """A fresh runtime on the movable clock, mailing to the local inbox."""
    configured = settings.model_copy(update={"smtp_port": inbox[1]})
    with Runtime.open(configured, clock=clock) as opened:
        yield opened


@pytest.fixture
def app(runtime: Runtime, world: object) -> FastAPI:
    """The app, after the area's `world` fixture put its demo data in place."""
    return create_app(runtime)


def token_in(html: str) -> str:
    found = TOKEN.search(html)
    assert found is not None, "the page has no CSRF token"
    return found.group(1)


async def post_form(
    client: httpx.AsyncClient, page: str, action: str, data: dict[str, str] | None = None
) -> httpx.Response:
    """Open `page` for its CSRF token, then send the form to `action`."""
    token = token_in((await client.get(page)).text)
    return await client.post(action, data={**(data or {}), "csrf_token": token})


async def sign_in(
    client: httpx.AsyncClient, email: str = DEMO_EMAIL, password: str = DEMO_PASSWORD
) -> httpx.Response:
    """Sign in through the portal's own form (the demo customer unless told otherwise)."""
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
