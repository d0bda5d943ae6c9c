"""Alert delivery: a real local SMTP server gets the e-mail, a local HTTP server the signed
webhook; failures are retried (bounded), recorded, and never leak personal data to logs."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pydantic import SecretStr

from trackguard.clock import fixed_clock
from trackguard.mail import MailConfig
from trackguard.protocols.base import Alarm, PositionReport
from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.store.models import Customer, Device, Event, Webhook
from trackguard.tracking import events as antitheft
from trackguard.tracking.events import AntiTheftMonitor
from trackguard.tracking.notify import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Alert,
    Notifier,
    NotifyConfig,
    Status,
    WebhookError,
    add_webhook,
    check_webhook_url,
    sign,
    verify_signature,
)


@dataclass(frozen=True)
class CommittedPosition:
    """What the gateway's writer hands the monitor after a commit."""

    device_id: str
    customer_id: str | None
    report: PositionReport


NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
EMAIL, IMEI = "jan.de.vries@example.nl", "359339075123456"
LAT, LON = 52.156123, 5.387845


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


class Receiver:
    """A local HTTP server answering with the queued status codes (then 200)."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.calls.append((dict(self.headers), body))
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/tracker"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hooks = Receiver()
    thread = threading.Thread(target=hooks.server.serve_forever, daemon=True)
    thread.start()
    yield hooks
    hooks.server.shutdown()
    hooks.server.server_close()


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    with Runtime.open(settings, clock=fixed_clock(NOW)) as opened:
        yield opened


@pytest.fixture
def owned(runtime: Runtime) -> tuple[str, str]:
    """(customer id, device id) of a customer with an e-mail address and one tracker."""
    vault = runtime.vault
    with runtime.db.session() as session:
        customer = Customer(
            created_at=NOW, email_index=vault.blind_index("email", EMAIL), language="en"
        )
        vault.seal(session, customer, "email", EMAIL)
        session.add(customer)
        device = Device(
            customer_id=customer.id,
            imei_index=vault.blind_index("imei", IMEI),
            name="Gazelle",
            created_at=NOW,
            activated_at=NOW,
        )
        session.add(device)
        session.flush()
        return customer.id, device.id


async def no_wait(_: float) -> None:
    return None


def notifier(runtime: Runtime, smtp_port: int, **kw: Any) -> Notifier:
    settings = runtime.settings.model_copy(update={"smtp_port": smtp_port})
    config = NotifyConfig.from_settings(settings)
    kw.setdefault("sleep", no_wait)
    return Notifier(runtime.db, runtime.vault, config, clock=fixed_clock(NOW), **kw)


def stored_alert(runtime: Runtime, owned: tuple[str, str], alarm: str = "sos") -> Alert:
    customer, device = owned
    with runtime.db.session() as session:
        row = Event(
            device_id=device,
            customer_id=customer,
            type="alarm",
            time=NOW,
            fix_time=NOW,
            attributes={"alarm": alarm},
            alert=True,
            email_status="pending",
            webhook_status="pending",
        )
        session.add(row)
        session.flush()
        event_id = row.id
    report = PositionReport("gt06", IMEI, NOW, True, LAT, LON, speed=0.0, alarm=Alarm(alarm))
    return Alert(event_id, customer, device, "alarm", NOW, None, {"alarm": alarm}, report)


def event_row(runtime: Runtime, event_id: str) -> Event:
    with runtime.db.session() as session:
        row = session.get(Event, event_id)
        assert row is not None
        return row


@pytest.mark.anyio
async def test_alarm_e_mail_reaches_the_owner_in_their_language(
    runtime: Runtime, owned: tuple[str, str], smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    alert = stored_alert(runtime, owned)
    outcome = await notifier(runtime, port).deliver(alert)
    assert (outcome.email, outcome.webhook) == (Status.SENT, Status.SKIPPED)
    [(recipients, message)] = inbox.messages
    assert recipients == [EMAIL]
    assert message["Subject"] == "trackguard: SOS alarm: Gazelle"
    assert message["From"] == runtime.settings.smtp_sender
    body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "Gazelle reports: SOS alarm." in body
    assert f"{LAT:.6f}, {LON:.6f}" in body and "openstreetmap.org" in body
    row = event_row(runtime, alert.event_id)
    assert (row.email_status, row.webhook_status, row.delivery_attempts) == ("sent", "skipped", 1)
    assert row.delivered_at == NOW and row.delivery_error is None


@pytest.mark.anyio
async def test_webhook_is_signed_and_verifiable(
    runtime: Runtime, owned: tuple[str, str], receiver: Receiver
) -> None:
    with runtime.db.session() as session:
        hook, secret = add_webhook(session, runtime.vault, owned[0], receiver.url)
        assert receiver.url.encode() not in hook.url  # stored encrypted
    alert = stored_alert(runtime, owned, "powerCut")
    outcome = await notifier(runtime, free_port()).deliver(alert)  # no SMTP server listening
    assert (outcome.email, outcome.webhook) == (Status.FAILED, Status.SENT)
    [(headers, body)] = receiver.calls
    assert verify_signature(
        secret, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER], now=NOW
    )
    assert not verify_signature(
        "wrong", headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER], now=NOW
    )
    payload = json.loads(body)
    assert payload["event"] == {
        "id": alert.event_id,
        "type": "alarm",
        "eventTime": "2026-03-02T02:00:00.000Z",
        "deviceId": owned[1],
        "geofenceId": None,
        "attributes": {"alarm": "powerCut"},
    }
    assert payload["device"] == {"id": owned[1], "name": "Gazelle"}
    assert (payload["position"]["latitude"], payload["position"]["longitude"]) == (LAT, LON)
    row = event_row(runtime, alert.event_id)
    assert (row.email_status, row.webhook_status) == ("failed", "sent")
    assert row.delivery_error == "ConnectionRefusedError"
    with runtime.db.session() as session:
        stored = session.get(Webhook, hook.id)
        assert stored is not None and stored.last_delivered_at == NOW


@pytest.mark.anyio
async def test_webhook_retries_server_errors_with_backoff_then_succeeds(
    runtime: Runtime, owned: tuple[str, str], receiver: Receiver
) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    with runtime.db.session() as session:
        add_webhook(session, runtime.vault, owned[0], receiver.url)
    receiver.answers = [503, 500]
    alert = stored_alert(runtime, owned)
    outcome = await notifier(runtime, free_port(), sleep=sleep).deliver(alert)
    assert outcome.webhook == Status.SENT
    assert len(receiver.calls) == 3 and waits == [0.5, 1.0]
    assert event_row(runtime, alert.event_id).delivery_attempts == 1 + 3


@pytest.mark.anyio
async def test_webhook_gives_up_bounded_and_records_it_without_personal_data(
    runtime: Runtime,
    owned: tuple[str, str],
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with runtime.db.session() as session:
        add_webhook(session, runtime.vault, owned[0], receiver.url)
    receiver.answers = [500] * 10
    alert = stored_alert(runtime, owned)
    with caplog.at_level(logging.INFO):  # httpcore's DEBUG traces name hosts; INFO must not
        outcome = await notifier(runtime, free_port()).deliver(alert)
    assert outcome.webhook == Status.FAILED and len(receiver.calls) == 4
    row = event_row(runtime, alert.event_id)
    assert row.webhook_status == "failed" and "HTTP 500" in (row.delivery_error or "")
    for secret in (EMAIL, receiver.url, "127.0.0.1", f"{LAT}", f"{LAT:.6f}", IMEI, "Gazelle"):
        assert secret not in caplog.text
        assert secret not in (row.delivery_error or "")


@pytest.mark.anyio
async def test_a_refused_webhook_is_not_retried(
    runtime: Runtime, owned: tuple[str, str], receiver: Receiver
) -> None:
    with runtime.db.session() as session:
        add_webhook(session, runtime.vault, owned[0], receiver.url)
    receiver.answers = [410]
    outcome = await notifier(runtime, free_port()).deliver(stored_alert(runtime, owned))
    assert outcome.webhook == Status.FAILED and len(receiver.calls) == 1


@pytest.mark.anyio
async def test_nothing_to_send_to_after_erasure(
    runtime: Runtime, owned: tuple[str, str], smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    alert = stored_alert(runtime, owned)
    with runtime.db.session() as session:
        runtime.vault.destroy_keys(session, owned[0], ["profile", "location"])
    outcome = await notifier(runtime, port).deliver(alert)
    assert (outcome.email, outcome.webhook) == (Status.SKIPPED, Status.SKIPPED)
    assert outcome.error == "KeyDestroyed" and inbox.messages == []


@pytest.mark.anyio
async def test_monitor_to_mailbox_and_webhook_end_to_end(
    runtime: Runtime,
    owned: tuple[str, str],
    smtp: tuple[Inbox, int],
    receiver: Receiver,
) -> None:
    inbox, port = smtp
    customer, device = owned
    with runtime.db.session() as session:
        _, secret = add_webhook(session, runtime.vault, customer, receiver.url)
        antitheft.arm(session, device, customer_id=customer)
    monitor = AntiTheftMonitor(runtime.db, runtime.vault, notifier=notifier(runtime, port))
    first = PositionReport("gt06", IMEI, NOW, True, LAT, LON)
    carried = PositionReport("gt06", IMEI, NOW + timedelta(minutes=2), True, LAT + 0.004, LON)
    stored = await monitor.on_committed(
        [CommittedPosition(device, customer, first), CommittedPosition(device, customer, carried)]
    )
    await monitor.drain()
    assert [e.type for e in stored] == ["deviceMoving"]
    [(_, message)] = inbox.messages
    assert message["Subject"] == "trackguard: Gazelle is moving"
    [(headers, body)] = receiver.calls
    assert verify_signature(
        secret, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER], now=NOW
    )
    row = event_row(runtime, stored[0].id)
    assert (row.email_status, row.webhook_status) == ("sent", "sent")


def test_webhook_urls_must_be_plain_http_without_credentials() -> None:
    assert check_webhook_url(" https://ha.example.nl/api/webhook/x ") == (
        "https://ha.example.nl/api/webhook/x"
    )
    for bad in ("ftp://example.nl/x", "/relative", "https://user:pw@example.nl/x", "https://"):
        with pytest.raises(WebhookError) as caught:
            check_webhook_url(bad)
        assert "pw" not in str(caught.value)


def test_signatures_expire() -> None:
    body = b'{"event":{}}'
    stamp = str(int(NOW.timestamp()))
    signature = sign("s3cret", stamp, body)
    assert signature.startswith("sha256=")
    assert verify_signature("s3cret", stamp, body, signature, now=NOW + timedelta(seconds=299))
    assert not verify_signature("s3cret", stamp, body, signature, now=NOW + timedelta(hours=1))
    assert not verify_signature("s3cret", stamp, body + b" ", signature, now=NOW)
    assert not verify_signature("s3cret", "soon", body, signature, now=NOW)


def test_alarm_mail_uses_the_shared_smtp_settings(settings: Settings) -> None:
    """Login and TLS settings reach alarm e-mail through the one mail sender."""
    secured = settings.model_copy(
        update={
            "smtp_host": "mail.example.nl",
            "smtp_port": 587,
            "smtp_username": "alarms",
            "smtp_password": SecretStr("not-in-logs"),
            "smtp_starttls": True,
        }
    )
    config = NotifyConfig.from_settings(secured)
    assert config.mail == MailConfig.from_settings(secured)
    assert (config.mail.host, config.mail.port, config.mail.starttls) == (
        "mail.example.nl",
        587,
        True,
    )
    assert "not-in-logs" not in repr(config)
