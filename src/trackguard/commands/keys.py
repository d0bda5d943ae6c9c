"""`trackguard keys`: master key and data keys."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from trackguard.commands.context import load_settings
from trackguard.errors import KeyFileError, VaultError
from trackguard.store import migrate
from trackguard.store.engine import Database
from trackguard.vault import RotationReport, VaultStatus, open_vault, vault_status

app = typer.Typer(help="Encryption keys.", no_args_is_help=True)

# States in which trackguard would refuse to start.
_BROKEN = ("missing", "wrong key", "unreadable")


@app.command("rotate-master")
def rotate_master(
    new_key_file: Path | None = typer.Option(
        None,
        "--new-key-file",
        help="Use the master key in this file (key-file format) instead of generating one.",
    ),
    keep_old: bool = typer.Option(
        False,
        "--keep-old",
        help="Keep the previous key as <key file>.old-<id>, e.g. to restore older backups. "
        "By default it is deleted once the new key is in place, so keys destroyed "
        "before now are unreadable in old backups too.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Re-wrap every data key under a new master key and replace the key file.

    The new key is parked beside the key file first, the database commits the
    re-wrapped keys, and only then is the key file swapped; an interrupted
    rotation is finished on the next start. Back up the new key file afterwards.

    Example: trackguard keys rotate-master --keep-old
    """
    settings = load_settings()
    settings.ensure_data_dir()
    db = Database.from_settings(settings)
    try:
        migrate.upgrade(db)
        vault = open_vault(db, settings.resolved_key_file)
        with Progress(
            TextColumn("re-wrapping data keys"),
            BarColumn(),
            MofNCompleteColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as bar:
            task = bar.add_task("rewrap", total=None)
            with db.session() as session:
                report = vault.rotate_master(
                    session,
                    new_key_file,
                    keep_old=keep_old,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
        if vault.master_key_id != report.new_master_key_id:
            raise VaultError("the rotation was not committed; the old master key is still in use")
    finally:
        db.dispose()
    _print_rotation(report, as_json)


def _print_rotation(report: RotationReport, as_json: bool) -> None:
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "old_master_key_id": report.old_master_key_id,
                    "new_master_key_id": report.new_master_key_id,
                    "rewrapped": report.rewrapped,
                    "key_file": str(report.key_file),
                    "old_key_file": str(report.old_key_file) if report.old_key_file else None,
                }
            )
        )
        return
    typer.echo(f"re-wrapped {report.rewrapped} data keys and the blind-index key")
    typer.echo(f"old master key: {report.old_master_key_id}")
    typer.echo(f"new master key: {report.new_master_key_id} (in {report.key_file})")
    if report.old_key_file:
        typer.echo(f"previous key kept in {report.old_key_file}: delete it when no longer needed")
    typer.echo("back up the new key file now, apart from the database")


@app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="Print the status as JSON.")) -> None:
    """Show the master key id, the key file and how many data keys are live or destroyed.

    Reads only: it never creates a key. Exits with status 1 when the key file is
    missing or does not match the database (trackguard would refuse to start).

    Example: trackguard keys status --json
    """
    settings = load_settings()
    db = Database.from_settings(settings)
    try:
        found = vault_status(db, settings.resolved_key_file)
    finally:
        db.dispose()
    if as_json:
        typer.echo(json.dumps(_status_dict(found)))
    else:
        _print_status(found)
    if found.key_file_state in _BROKEN:
        # An error (not just a printed line) so health checks see exit status 1.
        raise KeyFileError(
            f"key file {found.key_file} is {found.key_file_state}: trackguard would refuse to "
            "start; restore the key file from backup"
        )


def _status_dict(found: VaultStatus) -> dict[str, object]:
    return {
        "master_key_id": found.master_key_id,
        "key_file": str(found.key_file),
        "key_file_state": found.key_file_state,
        "created_at": found.created_at.isoformat() if found.created_at else None,
        "rotated_at": found.rotated_at.isoformat() if found.rotated_at else None,
        "keys": {c: {"live": n.live, "destroyed": n.destroyed} for c, n in found.keys.items()},
        "leftover_key_files": [str(p) for p in found.leftovers],
    }


def _print_status(found: VaultStatus) -> None:
    console = Console()
    console.print(f"master key id: {found.master_key_id or '-'}", highlight=False)
    console.print(f"key file:      {found.key_file} ({found.key_file_state})", highlight=False)
    if found.created_at:
        console.print(f"created:       {found.created_at:%Y-%m-%d %H:%M:%S} UTC", highlight=False)
        rotated = f"{found.rotated_at:%Y-%m-%d %H:%M:%S} UTC" if found.rotated_at else "never"
        console.print(f"rotated:       {rotated}", highlight=False)
    table = Table("key class", "live", "destroyed", title="data keys")
    for key_class, counts in found.keys.items():
        table.add_row(key_class, str(counts.live), str(counts.destroyed))
    console.print(table)
    for leftover in found.leftovers:
        console.print(f"leftover key file: {leftover}", highlight=False)
