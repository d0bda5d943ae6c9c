"""`trackguard retention`: what the policy's retention rules remove, dry run or for real."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from trackguard.commands.context import load_settings
from trackguard.privacy.retention import ProgressEvent, RetentionReport, list_reports, plan, run
from trackguard.runtime import Runtime

app = typer.Typer(
    help="Apply the policy's retention rules: plan (dry run), run, and the kept reports.\n\n"
    "Example: trackguard retention plan --as-of 2030-01-01",
    no_args_is_help=True,
)

AS_OF_HELP = "Apply the rules as of this date or time (YYYY-MM-DD or ISO 8601, UTC); default now."


def parse_as_of(value: str | None) -> datetime | None:
    """A date means its start (00:00 UTC); a time without a zone is UTC."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(
            f"'{value}' is not a date: use YYYY-MM-DD or an ISO 8601 time", param_hint="--as-of"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@contextmanager
def _runtime() -> Iterator[Runtime]:
    with Runtime.open(load_settings()) as runtime:
        yield runtime


def _print(report: RetentionReport, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
        return
    verb = "would remove" if report.mode == "plan" else "removed"
    typer.echo(
        f"retention {report.mode} as of {report.as_of:%Y-%m-%d %H:%M} UTC "
        f"({report.status}): {verb} {report.total} rows"
    )
    table = Table("rule", "action", "record", "count", "held")
    for row in report.rules:
        table.add_row(row.rule, row.action, row.record, str(row.count), str(row.held))
    Console(width=120).print(table)
    for name in report.partitions_dropped:
        typer.echo(f"dropped partition {name}")


@app.command("plan")
def plan_command(
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Count, per rule, what a run would remove or anonymise; change nothing.

    The report is kept (see `trackguard retention runs`). Held rows are counted apart.

    Example: trackguard retention plan --as-of 2030-01-01 --json
    """
    moment = parse_as_of(as_of)
    with _runtime() as runtime:
        report = plan(runtime, as_of=moment)
    _print(report, as_json)


@app.command("run")
def run_command(
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    batch_size: int = typer.Option(1000, "--batch-size", min=1, help="Rows per transaction."),
) -> None:
    """Remove, anonymise or shred what the policy's retention rules make due.

    Batched (each batch its own transaction), idempotent and safe to interrupt:
    running it again finishes the job. Progress goes to stderr.

    Example: trackguard retention run
    """
    moment = parse_as_of(as_of)
    console = Console(stderr=True)
    with (
        _runtime() as runtime,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        ) as bar,
    ):
        task = bar.add_task("retention", total=None)

        def show(event: ProgressEvent) -> None:
            bar.update(
                task,
                description=f"{event.rule} ({event.record})",
                completed=event.done,
                total=event.total,
            )

        report = run(runtime, as_of=moment, batch_size=batch_size, progress=show)
    _print(report, as_json)


@app.command("runs")
def runs_command(
    limit: int = typer.Option(20, "--limit", min=1, help="Show the newest N reports."),
    as_json: bool = typer.Option(False, "--json", help="Print the reports as JSON."),
) -> None:
    """List the kept reports of earlier plans and runs, newest first.

    Example: trackguard retention runs --limit 5 --json
    """
    with _runtime() as runtime, runtime.db.session() as session:
        reports = list_reports(session, limit=limit)
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in reports], indent=2))
        return
    if not reports:
        typer.echo("no retention runs")
        return
    table = Table("id", "mode", "as of", "started", "status", "rows")
    for r in reports:
        table.add_row(
            r.id,
            r.mode,
            f"{r.as_of:%Y-%m-%d %H:%M}",
            f"{r.started_at:%Y-%m-%d %H:%M:%S}",
            r.status,
            str(r.total),
        )
    Console(width=120).print(table)
