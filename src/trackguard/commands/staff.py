"""`trackguard staff`: back-office accounts (support, finance, privacy officer, admin).

The password is read from a hidden prompt or, for scripts, from standard input
(`--password-stdin`); never from the command line, where it would stay in the
shell history and the process list. Only a keyed hash of the e-mail address is
kept, so `list` shows ids and roles, not addresses.
"""

from __future__ import annotations

import json
import sys

import typer
from rich.console import Console
from rich.table import Table

from trackguard.commands.context import load_settings
from trackguard.errors import TrackguardError
from trackguard.privacy.requests.records import OPERATOR
from trackguard.runtime import Runtime
from trackguard.store.models.web import STAFF_ROLES
from trackguard.web.auth.passwords import Passwords
from trackguard.web.backoffice.staff_accounts import (
    add_staff,
    disable_staff,
    find_staff,
    list_staff,
)

app = typer.Typer(
    help="Back-office staff accounts.\n\n"
    "Example: trackguard staff add privacy@example.nl --role privacy_officer",
    no_args_is_help=True,
)
ROLES = "|".join(STAFF_ROLES)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@app.command("add")
def add(
    email: str = typer.Argument(..., help="The staff member's login e-mail address."),
    role: str = typer.Option(..., "--role", help=f"The role: {ROLES}."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of stdin."
    ),
) -> None:
    """Add a staff account with a role; the password is prompted for (or read from stdin).

    Example: echo 'a long passphrase' | trackguard staff add ann@example.nl --role support \\
        --password-stdin
    """
    if role not in STAFF_ROLES:
        raise TrackguardError(f"a staff role is one of {', '.join(STAFF_ROLES)}")
    password = _password(password_stdin)
    with Runtime.open(load_settings()) as runtime, runtime.db.session() as session:
        added = add_staff(
            session,
            runtime.vault,
            Passwords(),
            runtime.clock,
            email=email,
            password=password,
            role=role,
            actor=OPERATOR,
        )
    typer.echo(f"staff account {added.id} added with the role {added.role}")


@app.command("list")
def list_command(
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array."),
) -> None:
    """List staff accounts: id, role, created, last sign-in, disabled.

    Example: trackguard staff list --json
    """
    with Runtime.open(load_settings()) as runtime, runtime.db.session() as session:
        accounts = list_staff(session)
    if as_json:
        typer.echo(json.dumps([a.to_json() for a in accounts], indent=2))
        return
    if not accounts:
        typer.echo("no staff accounts")
        return
    table = Table("id", "role", "created", "last sign-in", "disabled")
    for a in accounts:
        row = a.to_json()
        table.add_row(
            a.id, a.role, row["created"], row["last_login"] or "-", row["disabled"] or "-"
        )
    Console(width=200).print(table)


@app.command("disable")
def disable(
    email: str = typer.Argument(..., help="The staff member's login e-mail address."),
) -> None:
    """Close a staff account: sign-in stops and every session ends at once.

    Example: trackguard staff disable ann@example.nl
    """
    with Runtime.open(load_settings()) as runtime, runtime.db.session() as session:
        staff = find_staff(session, runtime.vault, email)
        closed, ended = disable_staff(session, staff, runtime.clock, actor=OPERATOR)
    typer.echo(f"staff account {closed.id} disabled; {ended} session(s) ended")
