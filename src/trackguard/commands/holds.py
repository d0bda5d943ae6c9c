"""`trackguard holds`: legal holds that keep a subject's data (or one record) from retention."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.table import Table

from trackguard.commands.context import load_settings
from trackguard.privacy.retention import list_holds, place_hold, release_hold
from trackguard.runtime import Runtime
from trackguard.tracking.devices import customer_by_email

app = typer.Typer(
    help="Legal holds: data retention must keep until the hold is released.\n\n"
    'Example: trackguard holds place --subject jan@example.nl --reason "court order 2026/17"',
    no_args_is_help=True,
)

OPERATOR = "operator"


@contextmanager
def _runtime() -> Iterator[Runtime]:
    with Runtime.open(load_settings()) as runtime:
        yield runtime


def _parse_record(value: str | None) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    table, sep, key = value.partition(":")
    if not sep or not table.strip() or not key.strip():
        raise typer.BadParameter("use TABLE:ID, e.g. chat_messages:4f1c...", param_hint="--record")
    return table.strip(), key.strip()


@app.command("place")
def place(
    subject: str = typer.Option(..., "--subject", help="The customer's e-mail address."),
    reason: str = typer.Option(..., "--reason", help="Why (a case or order number)."),
    record: str | None = typer.Option(
        None, "--record", help="Hold one record only: TABLE:ID (default: everything)."
    ),
    placed_by: str = typer.Option(OPERATOR, "--by", help="Who places the hold."),
    as_json: bool = typer.Option(False, "--json", help="Print the hold as JSON."),
) -> None:
    """Place a legal hold on everything of a customer, or on one record of theirs.

    Example: trackguard holds place --subject jan@example.nl --record orders:9b1c... \\
        --reason "tax audit 2026"
    """
    table, key = _parse_record(record)
    with _runtime() as runtime, runtime.db.session() as session:
        customer_id = customer_by_email(session, runtime.vault, subject)
        hold = place_hold(
            session,
            customer_id=customer_id,
            record_table=table,
            record_id=key,
            reason=reason,
            placed_by=placed_by,
            clock=runtime.clock,
        )
    if as_json:
        typer.echo(json.dumps(hold.to_dict(), indent=2))
        return
    what = f"record {table}:{key}" if table else "everything"
    typer.echo(f"hold {hold.id} placed on {what} of customer {customer_id}")


@app.command("release")
def release(
    hold_id: str = typer.Argument(..., help="The hold's id (see `trackguard holds list`)."),
    released_by: str = typer.Option(OPERATOR, "--by", help="Who releases the hold."),
) -> None:
    """Release a hold; the next retention run acts on what it kept.

    Example: trackguard holds release 4f1c0e4f2a7d4e5b8c3a6f1d2e9b7c40
    """
    with _runtime() as runtime, runtime.db.session() as session:
        release_hold(session, hold_id, released_by=released_by, clock=runtime.clock)
    typer.echo(f"hold {hold_id} released")


@app.command("list")
def list_command(
    active: bool = typer.Option(False, "--active", help="Only holds not yet released."),
    as_json: bool = typer.Option(False, "--json", help="Print the holds as JSON."),
) -> None:
    """List legal holds, oldest first.

    Example: trackguard holds list --active --json
    """
    with _runtime() as runtime, runtime.db.session() as session:
        holds = list_holds(session, active_only=active)
    if as_json:
        typer.echo(json.dumps([h.to_dict() for h in holds], indent=2))
        return
    if not holds:
        typer.echo("no legal holds")
        return
    table = Table("id", "customer", "record", "reason", "placed", "released")
    for h in holds:
        table.add_row(
            h.id,
            h.customer_id or "-",
            f"{h.record_table}:{h.record_id}" if h.record_table else "everything",
            h.reason,
            f"{h.placed_at:%Y-%m-%d %H:%M}",
            f"{h.released_at:%Y-%m-%d %H:%M}" if h.released_at else "-",
        )
    Console(width=160).print(table)
