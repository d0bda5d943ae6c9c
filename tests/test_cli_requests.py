"""`trackguard requests new|verify|review-id-copy|complete|refuse|extend|list|show`, as scripts
use them: JSON with ISO 8601 UTC times, one clear error line for bad input."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from tests.cli_helpers import Run, cli_env, cli_runner
from typer.testing import CliRunner, Result

from trackguard.cli import app
from trackguard.errors import NotFound, TrackguardError
from trackguard.privacy.audit import list_entries
from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.store.models import Customer, IdentityDocument, RightsRequest

EMAIL = "anna.smit@example.nl"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"

    def last_body(self) -> str:
        return str(self.messages[-1][1].get_payload(decode=True), "utf-8")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    box, port = Inbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture
def env(settings: Settings, inbox: tuple[Inbox, int]) -> dict[str, str]:
    return cli_env(settings, TRACKGUARD_SMTP_PORT=str(inbox[1]))


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    with Runtime.open(settings) as opened:
        yield opened


@pytest.fixture
def customer(runtime: Runtime) -> str:
    with runtime.db.session() as session:
        row = Customer(
            created_at=datetime(2025, 1, 1, tzinfo=UTC),
            email_index=runtime.vault.blind_index("email", EMAIL),
            language="en",
        )
        runtime.vault.seal(session, row, "email", EMAIL)
        runtime.vault.seal(session, row, "first_name", "Anna")
        session.add(row)
        session.flush()
        return row.id


@pytest.fixture
def run(env: dict[str, str], runtime: Runtime) -> Run:
    return cli_runner(env, "requests")


def new(run: Run, *args: str) -> dict[str, Any]:
    result = run("new", "--subject", EMAIL, *args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def test_new_prints_the_request_as_json_with_utc_times(run: Run, customer: str) -> None:
    data = new(run, "--type", "access")
    assert {"id", "type", "status", "received", "due"} <= set(data)
    assert (data["type"], data["status"], data["duplicate"]) == ("access", "received", False)
    received, due = datetime.fromisoformat(data["received"]), datetime.fromisoformat(data["due"])
    assert received.utcoffset() == timedelta(0) and due.utcoffset() == timedelta(0)
    assert due - received == timedelta(weeks=4)
    assert data["customer_id"] == customer


def test_asking_twice_prints_the_open_request(run: Run, customer: str) -> None:
    first = new(run, "--type", "objection", "--purpose", "direct_marketing")
    again = new(run, "--type", "objection", "--purpose", "direct_marketing")
    assert again["id"] == first["id"] and again["duplicate"] is True


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (["--type", "forget-me"], TrackguardError, "unknown request type"),
        (["--type", "restriction", "--ground", "whim"], TrackguardError, "needs a ground"),
        (["--type", "withdrawal", "--purpose", "security"], TrackguardError, "not a purpose"),
        (["--type", "rectification", "--set", "nationality=NL"], TrackguardError, "cannot be"),
        (["--type", "rectification", "--set", "phone"], TrackguardError, "FIELD=VALUE"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(
    run: Run, runtime: Runtime, customer: str, args: list[str], error: type, message: str
) -> None:
    result = run("new", "--subject", EMAIL, *args)
    assert isinstance(result.exception, error)
    assert message in str(result.exception)
    with runtime.db.session() as session:
        assert session.query(RightsRequest).count() == 0


def test_unknown_subject_is_not_found(run: Run, customer: str) -> None:
    result = run("new", "--type", "access", "--subject", "someone.else@example.nl")
    assert isinstance(result.exception, NotFound)


def test_email_verification_sends_then_confirms_the_token(
    run: Run, customer: str, inbox: tuple[Inbox, int]
) -> None:
    request = new(run, "--type", "portability")["id"]
    assert "token e-mailed" in ok(run("verify", request, "--method", "email"))
    token = re.search(r"^ {4}(\S+)\r?$", inbox[0].last_body(), re.MULTILINE)
    assert token is not None
    wrong = run("verify", request, "--method", "email", "--token", "guess")
    assert isinstance(wrong.exception, TrackguardError)
    assert "verified (email)" in ok(
        run("verify", request, "--method", "email", "--token", token.group(1))
    )
    shown = json.loads(ok(run("show", request, "--json")))
    assert shown["status"] == "verified" and shown["verification_method"] == "email"
    assert [e["status"] for e in shown["events"]] == ["received", "token_sent", "verified"]


def test_access_completes_with_the_zip_path_under_exports(
    run: Run, customer: str, settings: Settings
) -> None:
    request = new(run, "--type", "access")["id"]
    ok(run("verify", request, "--method", "session"))
    path = Path(ok(run("complete", request)).strip())
    assert path.is_file() and path.suffix == ".zip"
    assert path.parent.resolve() == (settings.data_dir / "exports").resolve()
    assert json.loads(ok(run("show", request, "--json")))["status"] == "completed"


def test_rectification_with_set_completes(run: Run, runtime: Runtime, customer: str) -> None:
    request = new(run, "--type", "rectification", "--set", "last_name=Smit-de Boer")["id"]
    ok(run("verify", request, "--method", "session"))
    assert "completed" in ok(run("complete", request))
    with runtime.db.session() as session:
        row = session.get(Customer, customer)
        assert runtime.vault.unseal(session, row, "last_name") == "Smit-de Boer"


def test_id_copy_is_stored_reviewed_and_deleted(
    run: Run, runtime: Runtime, customer: str, tmp_path: Path
) -> None:
    request = new(run, "--type", "access")["id"]
    scan = tmp_path / "passport.jpg"
    scan.write_bytes(b"\xff\xd8\xff\xe0 scanned passport")
    no_reason = run("verify", request, "--method", "id-copy", "--file", str(scan))
    assert "needs --file PATH and --reason" in str(no_reason.exception)
    out = ok(
        run(
            "verify", request, "--method", "id-copy", "--file", str(scan),
            "--reason", "The subject no longer has access to the mailbox on file.",
        )
    )  # fmt: skip
    assert "photo, mrz, document_number, bsn" in out
    rejected = ok(run("review-id-copy", request, "--covered", "photo", "--covered", "mrz"))
    assert "rejected" in rejected and "document_number, bsn" in rejected
    with runtime.db.session() as session:
        assert session.query(IdentityDocument).count() == 0
    assert json.loads(ok(run("show", request, "--json")))["status"] == "received"


def test_refuse_and_extend_tell_the_subject(
    run: Run, customer: str, inbox: tuple[Inbox, int]
) -> None:
    extended = new(run, "--type", "erasure")["id"]
    out = ok(run("extend", extended, "--reason", "Many requests this month.", "--months", "2"))
    assert "extended" in out and "told by e-mail" in out
    assert "Many requests this month." in inbox[0].last_body()
    refused = new(run, "--type", "access")["id"]
    assert "refused" in ok(run("refuse", refused, "--reason", "Asked twice the same day."))
    assert "Asked twice the same day." in inbox[0].last_body()
    missing = run("refuse", refused)
    assert missing.exit_code == 2  # --reason is required


def test_list_flags_overdue_requests(run: Run, runtime: Runtime, customer: str) -> None:
    old = new(run, "--type", "access")["id"]
    fresh = new(run, "--type", "erasure")["id"]
    with runtime.db.session() as session:
        row = session.get(RightsRequest, old)
        assert row is not None
        row.received_at = datetime(2020, 1, 1, tzinfo=UTC)
        row.due_at = datetime(2020, 1, 29, tzinfo=UTC)
    listed = {r["id"]: r["overdue"] for r in json.loads(ok(run("list", "--json")))}
    assert listed == {old: True, fresh: False}
    overdue = json.loads(ok(run("list", "--overdue", "--json")))
    assert [r["id"] for r in overdue] == [old]
    assert "OVERDUE" in ok(run("list"))
    assert json.loads(ok(run("list", "--status", "completed", "--json"))) == []


def test_each_step_taken_from_the_command_line_is_audited(
    run: Run, runtime: Runtime, customer: str
) -> None:
    request = new(run, "--type", "objection", "--purpose", "direct_marketing")["id"]
    ok(run("verify", request, "--method", "session"))
    ok(run("complete", request))
    with runtime.db.session() as session:
        actions = [e.action for e in list_entries(session, subject_id=customer)]
    assert actions[:3] == [
        "rights_request.received",
        "rights_request.verified",
        "rights_request.in_progress",
    ]
    assert "rights_request.completed" in actions


def test_the_installed_command_prints_one_error_line(env: dict[str, str], customer: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "trackguard.cli", "requests", "new", "--type", "forget-me",
         "--subject", EMAIL],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**env, "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith("error: unknown request type 'forget-me'")
    assert "Traceback" not in done.stderr
    assert EMAIL not in done.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["requests", "new"],
        ["requests", "verify"],
        ["requests", "review-id-copy"],
        ["requests", "complete"],
        ["requests", "refuse"],
        ["requests", "extend"],
        ["requests", "list"],
        ["requests", "show"],
        ["customers", "list"],
        ["customers", "show"],
    ],
)
def test_every_command_explains_itself_with_an_example(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Example: trackguard " + command[0] in result.output
