"""`trackguard demo`: deterministic demo data."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from trackguard.commands.context import load_settings
from trackguard.demo.generate import DEFAULT_CUSTOMERS
from trackguard.demo.seed import SeedReport, seed_demo
from trackguard.runtime import Runtime
from trackguard.store.base import Base

app = typer.Typer(help="Demo data.", no_args_is_help=True)


@app.command("seed")
def seed(
    seed: int = typer.Option(1, "--seed", help="Same seed, same people, texts and trips."),
    customers: int = typer.Option(
        DEFAULT_CUSTOMERS, "--customers", min=1, help="How many customers, the demo login included."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Fill the database with deterministic, realistic demo data.

    Dutch customers around Bunschoten-Spakenburg, Amersfoort and Utrecht
    with every kind of record the privacy statement names: orders,
    tokenised payments, chats, recordings, e-mails, complaints, consents,
    web visits, surveys, third-party data and rights requests; trackers,
    a day of positions for the demo login's bike and car, her geofences,
    the anti-theft events of that day, and webhooks.

    Some records are older than each retention period of the policy, so
    every rule has something to act on. Log in as demo@trackguard.example
    with password "demo". Nothing is written when that login exists.

    Example: trackguard demo seed --seed 7 --customers 40
    """
    settings = load_settings()
    with (
        Runtime.open(settings) as runtime,
        Progress(
            TextColumn("seeding demo data"),
            BarColumn(),
            MofNCompleteColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as bar,
    ):
        task = bar.add_task("seed", total=None)
        report = seed_demo(
            runtime,
            seed=seed,
            customers=customers,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if as_json:
        typer.echo(json.dumps(_as_dict(report)))
    else:
        _print_report(report)


def _as_dict(report: SeedReport) -> dict[str, object]:
    return {
        "created": report.created,
        "counts": report.counts,
        "login": {"email": report.demo_email, "password": report.demo_password},
    }


def _print_report(report: SeedReport) -> None:
    login = f"log in as {report.demo_email} with password '{report.demo_password}'"
    if not report.created:
        typer.echo(f"demo data already present ({report.demo_email}); nothing written")
        typer.echo(login)
        return
    table = Table("record", "rows", title="demo data written")
    # Schema order (parents before children) reads like the data model; the audit
    # entries describe the rest, so they come last.
    names = [t.name for t in Base.metadata.sorted_tables if t.name != "audit_entries"]
    for name in [*names, "audit_entries"]:
        if report.counts.get(name):
            table.add_row(name, str(report.counts[name]))
    table.add_row("total", str(sum(report.counts.values())), style="bold")
    Console().print(table)
    typer.echo(login)
