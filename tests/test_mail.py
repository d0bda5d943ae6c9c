"""The one SMTP sender: plain, STARTTLS with login, implicit TLS, against a real local server;
failures are MailErrors that never carry the address or the password."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import SecretStr

from trackguard.clock import fixed_clock
from trackguard.errors import ConfigurationError
from trackguard.mail import MailConfig, Mailer, MailError
from trackguard.settings import Settings

TO = "piet.jansen@example.nl"
USER, PASSWORD = "relay-user", "s3cret-relay-pass"
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


class Inbox:
    def __init__(self, refuse: str | None = None) -> None:
        self.messages: list[tuple[list[str], Message]] = []
        self.refuse = refuse

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address == self.refuse:
            return "550 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cert file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])

    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
        .not_valid_after(dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def client_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def plain() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(refuse="nobody@example.nl"), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def starttls(certificate: tuple[Path, Path]) -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_context(certificate),
        require_starttls=True,
        authenticator=authenticate,
        auth_required=True,
    )
    controller.start()
    yield inbox, port
    controller.stop()


def mailer(port: int, **config: Any) -> Mailer:
    context = config.pop("tls_context", None)
    return Mailer(
        MailConfig(port=port, sender="privacy@trackguard.example", **config),
        tls_context=context,
        clock=fixed_clock(NOW),
    )


def test_plain_message_arrives_with_its_headers(plain: tuple[Inbox, int]) -> None:
    inbox, port = plain
    message_id = mailer(port).send(TO, "Uw verzoek", "Beste Piet,\n\nKlaar.", reply_to="p@x.nl")
    [(to, message)] = inbox.messages
    assert to == [TO]
    assert message["From"] == "privacy@trackguard.example"
    assert message["Reply-To"] == "p@x.nl"
    assert message["Subject"] == "Uw verzoek"
    assert message["Message-ID"] == message_id
    assert message["Date"] == "Mon, 02 Mar 2026 09:00:00 +0000"
    assert "Klaar." in message.get_payload(decode=True).decode()


def test_starttls_with_login_delivers(
    starttls: tuple[Inbox, int], certificate: tuple[Path, Path]
) -> None:
    inbox, port = starttls
    sender = mailer(
        port,
        starttls=True,
        username=USER,
        password=SecretStr(PASSWORD),
        tls_context=client_context(certificate),
    )
    sender.send(TO, "Code", "123")
    assert [to for to, _ in inbox.messages] == [[TO]]


def test_wrong_password_is_a_mail_error_without_the_secret(
    starttls: tuple[Inbox, int], certificate: tuple[Path, Path]
) -> None:
    inbox, port = starttls
    sender = mailer(
        port,
        starttls=True,
        username=USER,
        password=SecretStr("wrong-pass"),
        tls_context=client_context(certificate),
    )
    with pytest.raises(MailError) as caught:
        sender.send(TO, "Code", "123")
    assert "535" in str(caught.value)
    assert "wrong-pass" not in str(caught.value) and TO not in str(caught.value)
    assert inbox.messages == []


def test_an_untrusted_certificate_is_refused(starttls: tuple[Inbox, int]) -> None:
    _, port = starttls
    sender = mailer(port, starttls=True, username=USER, password=SecretStr(PASSWORD))
    with pytest.raises(MailError, match="SSLCertVerificationError"):
        sender.send(TO, "Code", "123")


def test_implicit_tls_delivers(certificate: tuple[Path, Path]) -> None:
    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, ssl_context=server_context(certificate)
    )
    controller.start()
    try:
        mailer(port, implicit_tls=True, tls_context=client_context(certificate)).send(
            TO, "Code", "123"
        )
    finally:
        controller.stop()
    assert [to for to, _ in inbox.messages] == [[TO]]


def test_a_refused_recipient_is_a_mail_error_without_the_address(
    plain: tuple[Inbox, int],
) -> None:
    _, port = plain
    with pytest.raises(MailError) as caught:
        mailer(port).send("nobody@example.nl", "x", "y")
    assert "nobody" not in str(caught.value)


def test_no_relay_listening_is_a_mail_error() -> None:
    with pytest.raises(MailError, match="ConnectionRefusedError"):
        mailer(free_port()).send(TO, "x", "y")


@pytest.mark.parametrize(
    "config",
    [
        {"starttls": True, "implicit_tls": True},
        {"password": SecretStr("p")},
        {"username": "u", "password": SecretStr("p")},  # a password over plain SMTP
    ],
)
def test_contradictory_or_unsafe_settings_are_refused(config: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        MailConfig(**config)


def test_settings_carry_the_relay_configuration() -> None:
    settings = Settings(
        smtp_host="mail.example.nl",
        smtp_port=587,
        smtp_sender="privacy@example.nl",
        smtp_username="relay",
        smtp_password=SecretStr("pw"),
        smtp_starttls=True,
        smtp_timeout=3.5,
    )
    config = MailConfig.from_settings(settings)
    assert (config.host, config.port, config.sender) == (
        "mail.example.nl",
        587,
        "privacy@example.nl",
    )
    assert (config.username, config.starttls, config.implicit_tls) == ("relay", True, False)
    assert config.password is not None and config.password.get_secret_value() == "pw"
    assert config.timeout == 3.5
    assert "pw" not in repr(settings)
