"""`trackguard db`: schema migrations and position compaction."""

from __future__ import annotations

import json
from datetime import timedelta

import typer

from trackguard.commands.context import load_settings
from trackguard.store import migrate
from trackguard.store.engine import Database

app = typer.Typer(help="Database schema and position compaction.", no_args_is_help=True)


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


@app.command("compact")
def compact(
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    settle_minutes: float | None = typer.Option(
        None,
        "--settle-minutes",
        min=0,
        help="Fold hours that ended this long ago (default: setting).",
    ),
) -> None:
    """Fold the single position rows of past hours into encrypted hourly blocks.

    `serve` does this every few minutes by itself; run it by hand after an import.
    Example: trackguard db compact --json
    """
    from trackguard.runtime import Runtime
    from trackguard.tracking.compaction import compact_positions

    settings = load_settings()
    settle = settings.compaction_settle_minutes if settle_minutes is None else settle_minutes
    with Runtime.open(settings) as runtime:
        report = compact_positions(
            runtime.db,
            runtime.vault,
            now=runtime.clock(),
            settle=timedelta(minutes=settle),
            progress=lambda r: typer.echo(f"  {r.fixes} fixes folded so far", err=True),
        )
    if as_json:
        typer.echo(json.dumps(report.as_json()))
    else:
        typer.echo(
            f"folded {report.fixes} fixes from {report.rows} rows into {report.blocks} blocks"
            + (f"; {report.skipped_devices} devices skipped" if report.skipped_devices else "")
        )
