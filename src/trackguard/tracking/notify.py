"""Delivering anti-theft alerts: e-mail over SMTP and signed webhooks.

`Notifier.deliver(alert)` sends one alert to its customer by every channel they
have (their e-mail address, each enabled webhook) and records the outcome on the
event row: `email_status` / `webhook_status` become "sent", "failed" or "skipped"
(nothing to send to), with the number of attempts and the kind of the last error.
Delivery never raises and never logs personal data: log lines and stored errors
name the event id and an error kind ("HTTP 503", "ConnectError", "SMTP 550"),
never an address, URL or coordinate.

Webhooks are POSTed as JSON:

    {"event":    {"id", "type", "eventTime", "deviceId", "geofenceId", "attributes"},
     "device":   {"id", "name"},
     "position": {"fixTime", "latitude", "longitude", "speed" (km/h), "valid", ...}}

signed with the webhook's secret: ``X-Trackguard-Signature: sha256=<hex>`` is
HMAC-SHA256 over ``<X-Trackguard-Timestamp>.<body>``, so a receiver can refuse a
forged or replayed call (`verify_signature`). Transport errors, 408, 429 and 5xx
are retried with exponential backoff, `webhook_attempts` times at most; other
answers fail at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from trackguard.clock import Clock, as_utc, system_clock
from trackguard.errors import TrackguardError, VaultError
from trackguard.mail import MailConfig, Mailer, MailError, MailSettings
from trackguard.protocols.base import PositionReport
from trackguard.store.engine import Database
from trackguard.store.models.accounts import Customer
from trackguard.store.models.antitheft import Event, Geofence, Webhook
from trackguard.store.models.tracking import Device
from trackguard.tracking.live import position_data
from trackguard.vault import Vault

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Trackguard-Signature"
TIMESTAMP_HEADER = "X-Trackguard-Timestamp"
EVENT_HEADER = "X-Trackguard-Event"
DELIVERY_HEADER = "X-Trackguard-Delivery"
_RETRYABLE = {408, 425, 429}


class Status(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class NotifyConfig:
    mail: MailConfig = field(default_factory=MailConfig)
    webhook_timeout: float = 10.0
    webhook_attempts: int = 4
    backoff_initial: float = 0.5
    backoff_max: float = 30.0

    @classmethod
    def from_settings(cls, settings: MailSettings) -> NotifyConfig:
        return cls(mail=MailConfig.from_settings(settings))

    @property
    def sender(self) -> str:
        return self.mail.sender


@dataclass(frozen=True, slots=True)
class Alert:
    """One stored event to deliver; `position` is the report that raised it (in memory
    only: events store no coordinates)."""

    event_id: str
    customer_id: str
    device_id: str
    type: str
    time: datetime
    geofence_id: str | None = None
    attributes: Mapping[str, object] = field(default_factory=dict)
    position: PositionReport | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    email: Status
    webhook: Status
    attempts: int
    error: str | None = None


@dataclass(frozen=True)
class _Hook:
    id: str
    url: str
    secret: str


@dataclass(frozen=True)
class _Recipients:
    email: str | None
    language: str
    device_name: str | None
    geofence_name: str | None
    hooks: tuple[_Hook, ...]
    problem: str | None = None


class WebhookError(TrackguardError):
    """A webhook URL trackguard will not call (the message never repeats it)."""


# -- signatures -------------------------------------------------------------------------------


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for `body` sent at `timestamp` (Unix seconds)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    now: datetime,
    tolerance_seconds: float = 300.0,
) -> bool:
    """What a receiver checks: the signature matches and the call is recent."""
    try:
        sent = float(timestamp)
    except ValueError:
        return False
    if abs(as_utc(now).timestamp() - sent) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


# -- webhooks: the customer's settings ---------------------------------------------------------


def check_webhook_url(url: str) -> str:
    """An absolute http(s) URL without credentials in it (they would be stored and logged)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError("a webhook URL is an absolute http:// or https:// URL")
    if parts.username or parts.password:
        raise WebhookError("a webhook URL must not carry a user name or password")
    if len(url) > 2000:
        raise WebhookError("a webhook URL is at most 2000 characters")
    return url.strip()


def add_webhook(
    session: Session, vault: Vault, customer_id: str, url: str, *, clock: Clock = system_clock
) -> tuple[Webhook, str]:
    """Register a webhook; returns it and its signing secret (shown to the customer once)."""
    secret = secrets.token_urlsafe(32)
    hook = Webhook(customer_id=customer_id, enabled=True, created_at=clock())
    vault.seal(session, hook, "url", check_webhook_url(url))
    vault.seal(session, hook, "secret", secret)
    session.add(hook)
    session.flush()
    return hook, secret


def remove_webhook(session: Session, customer_id: str, webhook_id: str) -> bool:
    hook = session.get(Webhook, webhook_id)
    if hook is None or hook.customer_id != customer_id:
        return False
    session.delete(hook)
    return True


# -- delivery ----------------------------------------------------------------------------------


class Notifier:
    """Sends alerts. Blocking work (SMTP, the database) runs in worker threads."""

    def __init__(
        self,
        db: Database,
        vault: Vault,
        config: NotifyConfig | None = None,
        *,
        clock: Clock = system_clock,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.db, self.vault = db, vault
        self.config = config or NotifyConfig()
        self.clock = clock
        self.mailer = Mailer(self.config.mail, clock=clock)
        self._transport = transport
        self._sleep = sleep

    async def deliver(self, alert: Alert) -> Outcome:
        """Send `alert` by e-mail and to every webhook; record and return the outcome."""
        try:
            outcome = await self._deliver(alert)
        except Exception as exc:  # delivery must never take the monitor down
            log.warning("delivery of event %s failed: %s", alert.event_id, _kind(exc))
            outcome = Outcome(Status.FAILED, Status.FAILED, 0, _kind(exc))
        try:
            await asyncio.to_thread(self._record, alert.event_id, outcome)
        except Exception as exc:
            log.warning("recording delivery of event %s failed: %s", alert.event_id, _kind(exc))
        return outcome

    async def _deliver(self, alert: Alert) -> Outcome:
        to = await asyncio.to_thread(self._recipients, alert)
        errors: list[str] = [to.problem] if to.problem else []
        attempts = 0
        email = Status.SKIPPED
        if to.email:
            attempts += 1
            error = await asyncio.to_thread(self._send_email, alert, to)
            email = Status.FAILED if error else Status.SENT
            if error:
                errors.append(error)
                log.warning("e-mail for event %s failed: %s", alert.event_id, error)
        webhook = Status.SKIPPED
        if to.hooks:
            results = [await self._post(alert, to, hook) for hook in to.hooks]
            attempts += sum(n for n, _ in results)
            failed = [e for _, e in results if e]
            webhook = Status.FAILED if len(failed) == len(results) else Status.SENT
            errors.extend(failed)
            await asyncio.to_thread(self._record_hooks, to.hooks, results)
        return Outcome(email, webhook, attempts, "; ".join(errors)[:200] or None)

    # -- recipients --------------------------------------------------------------------------

    def _recipients(self, alert: Alert) -> _Recipients:
        problems: list[str] = []
        with self.db.session() as session:
            customer = session.get(Customer, alert.customer_id)
            email = None
            language = "nl"
            if customer is not None:
                language = customer.language or "nl"
                email = self._unseal(session, customer, "email", problems)
            device = session.get(Device, alert.device_id)
            fence_name = None
            if alert.geofence_id is not None:
                fence = session.get(Geofence, alert.geofence_id)
                if fence is not None:
                    fence_name = self._unseal(session, fence, "name", problems)
            hooks = []
            rows = session.scalars(
                select(Webhook).where(
                    Webhook.customer_id == alert.customer_id, Webhook.enabled.is_(True)
                )
            ).all()
            for row in rows:
                url = self._unseal(session, row, "url", problems)
                secret = self._unseal(session, row, "secret", problems)
                if url and secret:
                    hooks.append(_Hook(row.id, url, secret))
            return _Recipients(
                email=email,
                language=language,
                device_name=device.name if device is not None else None,
                geofence_name=fence_name,
                hooks=tuple(hooks),
                problem="; ".join(dict.fromkeys(problems)) or None,
            )

    def _unseal(
        self, session: Session, obj: object, column: str, problems: list[str]
    ) -> str | None:
        try:
            return self.vault.unseal(session, obj, column)
        except VaultError as exc:  # e.g. the key was destroyed: nobody left to tell
            problems.append(type(exc).__name__)
            return None

    # -- e-mail ------------------------------------------------------------------------------

    def _send_email(self, alert: Alert, to: _Recipients) -> str | None:
        assert to.email is not None
        message = compose_email(
            alert,
            recipient=to.email,
            sender=self.config.sender,
            now=self.clock(),
            language=to.language,
            device_name=to.device_name,
            geofence_name=to.geofence_name,
        )
        try:
            self.mailer.deliver(message)
        except MailError as exc:  # names the kind of failure only, never the address
            return exc.reason
        return None

    # -- webhooks ----------------------------------------------------------------------------

    async def _post(self, alert: Alert, to: _Recipients, hook: _Hook) -> tuple[int, str | None]:
        """(attempts made, error kind or None)."""
        body = json.dumps(webhook_payload(alert, to.device_name), separators=(",", ":")).encode()
        error: str | None = None
        attempts = max(1, self.config.webhook_attempts)
        timeout = httpx.Timeout(self.config.webhook_timeout).as_dict()
        # The transport, not a Client: httpx's client logs every request URL at INFO,
        # and a customer's webhook URL must not end up in the server log.
        transport = self._transport or httpx.AsyncHTTPTransport()
        try:
            for attempt in range(1, attempts + 1):
                timestamp = str(int(self.clock().timestamp()))
                headers = {
                    "Content-Type": "application/json",
                    "User-Agent": "trackguard-webhook/1",
                    TIMESTAMP_HEADER: timestamp,
                    SIGNATURE_HEADER: sign(hook.secret, timestamp, body),
                    EVENT_HEADER: alert.type,
                    DELIVERY_HEADER: alert.event_id,
                }
                request = httpx.Request(
                    "POST", hook.url, content=body, headers=headers, extensions={"timeout": timeout}
                )
                retry = True
                try:
                    response = await transport.handle_async_request(request)
                    await response.aclose()
                    if 200 <= response.status_code < 300:
                        return attempt, None
                    error = f"HTTP {response.status_code}"
                    retry = response.status_code in _RETRYABLE or response.status_code >= 500
                except httpx.HTTPError as exc:
                    error = _kind(exc)
                log.warning(
                    "webhook %s for event %s, attempt %d: %s",
                    *(hook.id, alert.event_id, attempt, error),
                )
                if not retry:
                    return attempt, error
                if attempt < attempts:
                    delay = self.config.backoff_initial * 2 ** (attempt - 1)
                    await self._sleep(min(delay, self.config.backoff_max))
        finally:
            if self._transport is None:
                await transport.aclose()
        return attempts, error

    # -- recording ---------------------------------------------------------------------------

    def _record(self, event_id: str, outcome: Outcome) -> None:
        sent = Status.SENT in (outcome.email, outcome.webhook)
        with self.db.session() as session:
            session.execute(
                update(Event)
                .where(Event.id == event_id)
                .values(
                    email_status=outcome.email.value,
                    webhook_status=outcome.webhook.value,
                    delivery_attempts=Event.delivery_attempts + outcome.attempts,
                    delivery_error=outcome.error,
                    delivered_at=self.clock() if sent else None,
                )
                .execution_options(synchronize_session=False)
            )

    def _record_hooks(
        self, hooks: tuple[_Hook, ...], results: list[tuple[int, str | None]]
    ) -> None:
        now = self.clock()
        with self.db.session() as session:
            for hook, (_, error) in zip(hooks, results, strict=True):
                values = {"last_failed_at": now} if error else {"last_delivered_at": now}
                session.execute(
                    update(Webhook)
                    .where(Webhook.id == hook.id)
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )


# -- messages ----------------------------------------------------------------------------------

_ALARMS = {
    "sos": {"nl": "SOS-alarm", "en": "SOS alarm"},
    "powerCut": {"nl": "stroom onderbroken", "en": "power cut"},
    "vibration": {"nl": "trillingsalarm", "en": "vibration alarm"},
    "lowBattery": {"nl": "batterij bijna leeg", "en": "low battery"},
}

_WORDS = {
    "nl": {
        "tracker": "uw tracker",
        "geofence": "een geofence",
        "time": "Tijd",
        "where": "Positie",
        "footer": (
            "U ontvangt dit bericht omdat u antidiefstalmeldingen voor deze tracker gebruikt."
        ),
    },
    "en": {
        "tracker": "your tracker",
        "geofence": "a geofence",
        "time": "Time",
        "where": "Position",
        "footer": "You receive this message because you use anti-theft alerts for this tracker.",
    },
}

# (subject, first line) per event type and language.
_SENTENCES = {
    "nl": {
        "deviceMoving": (
            "{device} beweegt",
            "{device} beweegt terwijl de antidiefstalbescherming aan staat.",
        ),
        "geofenceExit": ("{device} verliet {fence}", "{device} heeft {fence} verlaten."),
        "geofenceEnter": ("{device} kwam in {fence}", "{device} is {fence} binnengegaan."),
        "alarm": ("{alarm}: {device}", "{device} meldt: {alarm}."),
    },
    "en": {
        "deviceMoving": (
            "{device} is moving",
            "{device} is moving while anti-theft protection is on.",
        ),
        "geofenceExit": ("{device} left {fence}", "{device} has left {fence}."),
        "geofenceEnter": ("{device} entered {fence}", "{device} has entered {fence}."),
        "alarm": ("{alarm}: {device}", "{device} reports: {alarm}."),
    },
}


def compose_email(
    alert: Alert,
    *,
    recipient: str,
    sender: str,
    now: datetime,
    language: str = "nl",
    device_name: str | None = None,
    geofence_name: str | None = None,
) -> EmailMessage:
    """The alert e-mail in the customer's language (Dutch unless they chose English)."""
    language = language if language in _WORDS else "nl"
    words = _WORDS[language]
    alarm_key = str(alert.attributes.get("alarm", ""))
    values = {
        "device": device_name or words["tracker"],
        "fence": geofence_name or words["geofence"],
        "alarm": _ALARMS.get(alarm_key, {}).get(language, alarm_key or "alarm"),
    }
    subject, sentence = _SENTENCES[language].get(alert.type, ("{device}", "{device}"))
    lines = [sentence.format(**values), ""]
    lines.append(f"{words['time']}: {as_utc(alert.time):%Y-%m-%d %H:%M:%S} UTC")
    report = alert.position
    if report is not None and report.valid:
        lat, lon = f"{report.latitude:.6f}", f"{report.longitude:.6f}"
        lines.append(f"{words['where']}: {lat}, {lon}")
        lines.append(f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}")
    lines += ["", words["footer"]]
    message = EmailMessage()
    message["Subject"] = "trackguard: " + subject.format(**values)
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(as_utc(now))
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["X-Trackguard-Event"] = alert.type
    message.set_content("\n".join(lines))
    return message


def webhook_payload(alert: Alert, device_name: str | None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "event": {
            "id": alert.event_id,
            "type": alert.type,
            "eventTime": as_utc(alert.time)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "deviceId": alert.device_id,
            "geofenceId": alert.geofence_id,
            "attributes": dict(alert.attributes),
        },
        "device": {"id": alert.device_id, "name": device_name},
    }
    if alert.position is not None:
        payload["position"] = position_data(alert.position)
    return payload


def _iso(moment: datetime) -> str:
    return as_utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _kind(exc: BaseException) -> str:
    """An error's kind without its message (messages can quote addresses and URLs)."""
    return type(exc).__name__
