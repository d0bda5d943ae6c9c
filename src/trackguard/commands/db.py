"""`trackguard db`: schema migrations."""

from __future__ import annotations

import typer

from trackguard.commands.context import load_settings
from trackguard.store import migrate
from trackguard.store.engine import Database

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply migrations up to REVISION (default: the newest).

    Example: trackguard db upgrade
    """
    settings = load_settings()
    settings.ensure_data_dir()
    db = Database.from_settings(settings)
    try:
        before = migrate.current_revision(db)
        migrate.upgrade(db, revision)
        after = migrate.current_revision(db)
    finally:
        db.dispose()
    if before == after:
        typer.echo(f"database already at revision {after}")
    else:
        typer.echo(f"database upgraded from {before or 'empty'} to {after}")


@app.command("current")
def current() -> None:
    """Print the database's schema revision and the newest one this version knows.

    Example: trackguard db current
    """
    settings = load_settings()
    db = Database.from_settings(settings)
    try:
        typer.echo(f"current: {migrate.current_revision(db) or 'empty'}")
        typer.echo(f"head:    {migrate.head_revision()}")
    finally:
        db.dispose()
