"""`trackguard staff add|list|disable`: back-office accounts from the command line."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from tests.cli_helpers import Run, cli_env, cli_runner

from trackguard.errors import NotFound, TrackguardError
from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.store.models import AuditEntry
from trackguard.store.models.web import StaffUser
from trackguard.web.auth.sessions import find_session, open_session
from trackguard.web.backoffice.staff_accounts import StaffAccountError

EMAIL = "anne.officer@example.nl"
PASSWORD = "a long enough passphrase"


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    with Runtime.open(settings) as opened:
        yield opened


@pytest.fixture
def run(settings: Settings, runtime: Runtime) -> Run:
    return cli_runner(cli_env(settings), "staff")


def test_add_reads_the_password_from_stdin_and_keeps_no_address(run: Run, runtime: Runtime) -> None:
    added = run("add", EMAIL, "--role", "privacy_officer", "--password-stdin",
                stdin=PASSWORD + "\n")  # fmt: skip
    assert added.exit_code == 0, added.output
    listed = run("list", "--json")
    assert listed.exit_code == 0
    [account] = json.loads(listed.output)
    assert account["role"] == "privacy_officer" and account["disabled"] is None
    assert EMAIL not in listed.output
    with runtime.db.session() as session:
        staff = session.scalars(select(StaffUser)).one()
        assert staff.password_hash.startswith("$argon2id$")
        assert staff.email_index == runtime.vault.blind_index("email", EMAIL)
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "staff.created"))
        assert entry.purpose == "security"


def test_add_prompts_twice_for_the_password_when_not_from_stdin(run: Run) -> None:
    added = run("add", EMAIL, "--role", "support", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    assert PASSWORD not in added.output


def test_add_refuses_an_unknown_role_a_short_password_and_a_second_account(run: Run) -> None:
    unknown = run("add", EMAIL, "--role", "boss", "--password-stdin", stdin=PASSWORD + "\n")
    short = run("add", EMAIL, "--role", "support", "--password-stdin", stdin="short\n")
    assert isinstance(unknown.exception, TrackguardError)
    assert isinstance(short.exception, StaffAccountError)
    assert run("add", EMAIL, "--role", "support", "--password-stdin",
               stdin=PASSWORD + "\n").exit_code == 0  # fmt: skip
    again = run("add", EMAIL.upper(), "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    assert isinstance(again.exception, TrackguardError)
    assert json.loads(run("list", "--json").output)[0]["role"] == "support"


def test_disable_ends_sign_in_and_every_session(run: Run, runtime: Runtime) -> None:
    run("add", EMAIL, "--role", "finance", "--password-stdin", stdin=PASSWORD + "\n")
    with runtime.db.session() as session:
        staff_id = session.scalars(select(StaffUser.id)).one()
        token, _ = open_session(session, kind="cookie", staff_user_id=staff_id, now=runtime.clock())
    disabled = run("disable", EMAIL)
    assert disabled.exit_code == 0, disabled.output
    assert "1 session(s) ended" in disabled.output
    with runtime.db.session() as session:
        assert find_session(session, token, now=runtime.clock()) is None
    [account] = json.loads(run("list", "--json").output)
    assert account["disabled"] is not None
    assert isinstance(run("disable", "nobody@example.nl").exception, NotFound)


def test_the_last_open_admin_cannot_be_disabled(run: Run) -> None:
    run("add", EMAIL, "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    refused = run("disable", EMAIL)
    assert isinstance(refused.exception, StaffAccountError)
    assert "last open admin" in str(refused.exception)
    run("add", "second@example.nl", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    assert run("disable", EMAIL).exit_code == 0
