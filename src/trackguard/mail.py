"""Sending e-mail over SMTP: the one sender every part of trackguard uses.

`Mailer.send(to, subject, body)` delivers one plain-text message through the relay
the settings name (`TRACKGUARD_SMTP_*`): plain SMTP, STARTTLS, or implicit TLS
(port 465), with a login when a username is set. A failure raises `MailError`,
whose message names only the kind of failure ("SMTP 550", "ConnectionRefusedError",
"timeout"): never the address, the content or the password.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Protocol

from pydantic import SecretStr

from trackguard.clock import Clock, as_utc, system_clock
from trackguard.errors import ConfigurationError, TrackguardError


class MailError(TrackguardError):
    """A message could not be handed to the SMTP relay; `reason` is the kind of failure."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"could not send e-mail: {reason}")


class MailSettings(Protocol):
    smtp_host: str
    smtp_port: int
    smtp_sender: str
    smtp_username: str | None
    smtp_password: SecretStr | None
    smtp_starttls: bool
    smtp_ssl: bool
    smtp_timeout: float


@dataclass(frozen=True)
class MailConfig:
    host: str = "127.0.0.1"
    port: int = 25
    sender: str = "alarms@trackguard.example"
    username: str | None = None
    password: SecretStr | None = None
    starttls: bool = False
    implicit_tls: bool = False
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if self.starttls and self.implicit_tls:
            raise ConfigurationError(
                "TRACKGUARD_SMTP_SSL and TRACKGUARD_SMTP_STARTTLS exclude each other: "
                "choose implicit TLS (port 465) or STARTTLS (port 587)"
            )
        if self.password is not None and not self.username:
            raise ConfigurationError("TRACKGUARD_SMTP_PASSWORD is set without a username")
        if self.username and not (self.starttls or self.implicit_tls):
            # A password sent over plain SMTP can be read by anyone on the path.
            raise ConfigurationError(
                "an SMTP login needs an encrypted connection: set TRACKGUARD_SMTP_STARTTLS "
                "or TRACKGUARD_SMTP_SSL"
            )

    @classmethod
    def from_settings(cls, settings: MailSettings) -> MailConfig:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_sender,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            implicit_tls=settings.smtp_ssl,
            timeout=settings.smtp_timeout,
        )


class Mailer:
    """Composes and sends plain-text messages; one SMTP connection per message."""

    def __init__(
        self,
        config: MailConfig,
        *,
        tls_context: ssl.SSLContext | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self.config = config
        # Certificates are checked against the system's CAs unless a context is given
        # (a private relay with its own CA).
        self._tls_context = tls_context
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: MailSettings, *, clock: Clock = system_clock) -> Mailer:
        return cls(MailConfig.from_settings(settings), clock=clock)

    def compose(
        self, to: str, subject: str, body: str, *, reply_to: str | None = None
    ) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.config.sender
        message["To"] = to
        if reply_to:
            message["Reply-To"] = reply_to
        message["Subject"] = subject
        message["Date"] = format_datetime(as_utc(self._clock()))
        domain = self.config.sender.rpartition("@")[2] or None
        message["Message-ID"] = make_msgid(domain=domain)
        message.set_content(body)
        return message

    def send(self, to: str, subject: str, body: str, *, reply_to: str | None = None) -> str:
        """Hand one message to the relay; returns its Message-ID, or raises MailError."""
        message = self.compose(to, subject, body, reply_to=reply_to)
        self.deliver(message)
        return str(message["Message-ID"])

    def deliver(self, message: EmailMessage) -> None:
        try:
            with self._connect() as smtp:
                if self.config.username:
                    smtp.login(self.config.username, self._password())
                refused = smtp.send_message(message)
        except smtplib.SMTPResponseException as exc:
            raise MailError(f"SMTP {exc.smtp_code}") from None
        except smtplib.SMTPRecipientsRefused:
            raise MailError("the relay refused the recipient") from None
        except TimeoutError:
            raise MailError("timeout") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"{type(exc).__name__}") from None
        if refused:
            raise MailError("the relay refused the recipient")

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        if config.implicit_tls:
            return smtplib.SMTP_SSL(
                config.host, config.port, timeout=config.timeout, context=self._context()
            )
        smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        if config.starttls:
            try:
                smtp.starttls(context=self._context())
            except BaseException:
                smtp.close()
                raise
        return smtp

    def _password(self) -> str:
        secret = self.config.password
        return secret.get_secret_value() if secret is not None else ""

    def _context(self) -> ssl.SSLContext:
        return self._tls_context or ssl.create_default_context()
