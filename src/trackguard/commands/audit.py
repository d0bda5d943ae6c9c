"""`trackguard audit`: verify and read the hash-chained audit log.

Needs only the database, never the vault or master key: an auditor can check the
log without being able to read the data it is about.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer

from trackguard.commands.context import load_settings
from trackguard.privacy.audit import list_entries, verify
from trackguard.store import migrate
from trackguard.store.engine import Database
from trackguard.store.models.audit import AuditEntry

app = typer.Typer(
    help="The hash-chained audit log.\n\nExample: trackguard audit verify",
    no_args_is_help=True,
)


@contextmanager
def _database() -> Iterator[Database]:
    db = Database.from_settings(load_settings())
    try:
        migrate.upgrade(db)
        yield db
    finally:
        db.dispose()


@app.command("verify")
def verify_command(
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Check the whole hash chain; exit 1 at the first altered, removed or reordered entry.

    Example: trackguard audit verify --json
    """
    with _database() as db:
        result = verify(db)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    elif result.broken is None:
        typer.echo(f"OK: {result.checked} entries verified")
        if result.head_hash:
            # Kept elsewhere, the head hash is what shows a log cut off at its end.
            typer.echo(f"head: {result.head_hash}")
    else:
        broken = result.broken
        typer.echo(f"BROKEN at entry {broken.seq}: {broken.reason} ({broken.detail})")
    if not result.ok:
        raise typer.Exit(code=1)


@app.command("list")
def list_command(
    subject: str | None = typer.Option(
        None, "--subject", help="Only entries about this subject id."
    ),
    limit: int = typer.Option(50, "--limit", min=1, help="Show the newest N entries."),
    as_json: bool = typer.Option(False, "--json", help="Print the entries as JSON."),
) -> None:
    """Show the newest audit entries, oldest first.

    Example: trackguard audit list --subject 9b1c0e4f2a7d4e5b8c3a6f1d2e9b7c40 --limit 20
    """
    with _database() as db, db.session() as session:
        entries = [_as_dict(e) for e in list_entries(session, subject_id=subject, limit=limit)]
    if as_json:
        typer.echo(json.dumps(entries, indent=2, ensure_ascii=False))
        return
    if not entries:
        typer.echo("no audit entries")
        return
    for e in entries:
        who = e["subject_id"] or ("(shredded)" if e["shredded"] else "-")
        typer.echo(
            f"{e['seq']:>6}  {e['at']}  {e['actor']} ({e['role']})  {e['action']}  "
            f"subject {who}  purpose {e['purpose']}  [{', '.join(e['categories'])}]"
        )


def _as_dict(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "role": entry.role,
        "purpose": entry.purpose,
        "subject_id": entry.subject_id,
        "shredded": entry.subject_id is None and entry.subject_digest is not None,
        "categories": list(entry.categories),
        "action": entry.action,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }
