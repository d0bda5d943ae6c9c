"""`trackguard serve` end to end: an armed bike that moves raises an alarm that reaches
its owner by e-mail (a local aiosmtpd server) and by signed webhook (a local receiver).

The tracker speaks GT06 over a real socket to the server process; nothing in between
is replaced.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from tests.gateway.helpers import free_port
from tests.gateway.test_serve_gateways import Server, Tracker

from trackguard.protocols import gt06
from trackguard.protocols.base import PositionReport
from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.store.models import Customer, Device
from trackguard.tracking.devices import imei_index
from trackguard.tracking.events import arm
from trackguard.tracking.notify import add_webhook, verify_signature

IMEI = "359339075165391"  # the tracker of test_serve_gateways.Tracker
OWNER_EMAIL = "owner@example.org"
WAIT_SECONDS = 60


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


class Receiver(ThreadingHTTPServer):
    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.calls.append((dict(self.headers), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/hooks/bike"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def armed_bike(settings: Settings, webhook_url: str) -> str:
    """An owner with an e-mail address, an activated and armed GT06 tracker and a webhook;
    returns the webhook's signing secret."""
    now = datetime.now(UTC)
    with Runtime.open(settings) as runtime, runtime.db.session() as session:
        vault = runtime.vault
        owner = Customer(
            created_at=now, email_index=vault.blind_index("email", OWNER_EMAIL), language="en"
        )
        vault.seal(session, owner, "email", OWNER_EMAIL)
        session.add(owner)
        bike = Device(
            customer_id=owner.id,
            imei_index=imei_index(vault, IMEI),
            name="Gazelle",
            protocol="gt06",
            created_at=now,
            activated_at=now,
        )
        session.add(bike)
        session.flush()
        arm(session, bike.id, customer_id=owner.id)
        _, secret = add_webhook(session, vault, owner.id, webhook_url)
        return secret


def ride(port: int) -> None:
    """Parked for a moment, then ridden 300 m north: well past the movement threshold."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    tracker = Tracker(port)
    try:
        tracker.login()
        for n in range(6):
            report = PositionReport(
                protocol="gt06",
                device_key=IMEI,
                time=start + timedelta(seconds=10 * n),
                valid=True,
                latitude=52.2500 + (0.0006 * n if n >= 2 else 0.0),
                longitude=5.3700,
                speed=18.0 if n >= 2 else 0.0,
                course=0.0,
                satellites=9,
            )
            tracker.sock.sendall(gt06.position_packet(report, n + 2))
            tracker.read_ack()
    finally:
        tracker.close()


def wait_for(condition: Any, what: str, log: Path) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"no {what} within {WAIT_SECONDS}s:\n{log.read_text()}")


def test_an_armed_bike_that_moves_alerts_its_owner_by_e_mail_and_webhook(
    tmp_path: Path,
    database_url: str,
    inbox: tuple[Inbox, int],
    receiver: Receiver,
) -> None:
    mail, smtp_port = inbox
    server = Server(tmp_path, database_url)
    server.env |= {"TRACKGUARD_SMTP_PORT": str(smtp_port)}
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url)
    secret = armed_bike(settings, receiver.url)
    server.start()
    try:
        ride(server.gt06_port)
        wait_for(lambda: mail.messages and receiver.calls, "alarm e-mail and webhook", server.log)
    finally:
        server.stop()

    recipients, message = mail.messages[0]
    assert recipients == [OWNER_EMAIL]
    assert "Gazelle" in str(message["Subject"])
    assert message["X-Trackguard-Event"] == "deviceMoving"
    headers, body = receiver.calls[0]
    lowered = {k.lower(): v for k, v in headers.items()}
    assert verify_signature(
        secret,
        lowered["x-trackguard-timestamp"],
        body,
        lowered["x-trackguard-signature"],
        now=datetime.now(UTC),
    )
    assert lowered["x-trackguard-event"] == "deviceMoving"
    assert IMEI not in server.log.read_text()  # the log names no device
