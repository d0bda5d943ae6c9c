"""`trackguard policy`: check, render, ropa, datamap, version."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

import trackguard.store.models  # noqa: F401 - registers every table on Base.metadata
from trackguard.commands.context import load_settings
from trackguard.policy import Policy, load_policy
from trackguard.store.base import Base

app = typer.Typer(
    help="The privacy policy: check it against the code, render it.", no_args_is_help=True
)

PolicyOption = typer.Option(
    None,
    "--policy",
    help="Policy file (default: TRACKGUARD_POLICY_FILE or the packaged one).",
    dir_okay=False,
)
OutputOption = typer.Option(
    None, "--output", "-o", help="Write to FILE instead of stdout.", dir_okay=False
)


class Lang(StrEnum):
    nl = "nl"
    en = "en"


class StatementFormat(StrEnum):
    md = "md"
    html = "html"


class RegisterFormat(StrEnum):
    csv = "csv"
    json = "json"


def _policy(path: Path | None) -> Policy:
    return load_policy(path if path is not None else load_settings().policy_file)


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    output.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {output}", err=True)


@app.command("check")
def check(policy: Path | None = PolicyOption) -> None:
    """Compare the database models with the policy; exit 1 on any drift.

    Fails on a table the policy does not declare, a column without a category, an
    unknown taxonomy key, a category the record does not declare, or a retention
    rule reading a column that does not exist.

    Example: trackguard policy check
    """
    from trackguard.policy.check import check as run_check
    from trackguard.policy.check import model_sources

    loaded = _policy(policy)
    report = run_check(loaded, Base.metadata, sources=model_sources(Base.registry))
    if report.findings:
        for finding in report.findings:
            typer.echo(str(finding), err=True)
        typer.echo(f"policy check failed: {len(report.findings)} finding(s)", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"policy OK: {report.records} records, {report.columns} columns, "
        f"{report.categories} categories checked against {loaded.source} "
        f"(version {loaded.version_id})"
    )


@app.command("render")
def render(
    lang: Lang = typer.Option(Lang.nl, "--lang", help="Language of the statement."),
    fmt: StatementFormat = typer.Option(StatementFormat.md, "--format", help="md or html."),
    output: Path | None = OutputOption,
    policy: Path | None = PolicyOption,
) -> None:
    """Write the privacy statement from the policy (Markdown or a standalone HTML page).

    Example: trackguard policy render --lang en --format html
    """
    from trackguard.policy.render import render_statement

    _emit(render_statement(_policy(policy), lang.value, fmt.value), output)


@app.command("ropa")
def ropa(
    fmt: RegisterFormat = typer.Option(RegisterFormat.csv, "--format", help="csv or json."),
    lang: Lang = typer.Option(Lang.en, "--lang", help="Language of the register's texts."),
    output: Path | None = OutputOption,
    policy: Path | None = PolicyOption,
) -> None:
    """Write the record of processing activities (GDPR Art. 30(1)), one row per purpose.

    Example: trackguard policy ropa --format csv --output register.csv
    """
    from trackguard.policy.ropa import render_ropa

    _emit(render_ropa(_policy(policy), fmt.value, lang.value), output)


@app.command("datamap")
def datamap(
    output: Path | None = OutputOption,
    policy: Path | None = PolicyOption,
) -> None:
    """Write a Fides-compatible dataset manifest (YAML) of the database.

    Example: trackguard policy datamap --output trackguard.dataset.yml
    """
    from trackguard.policy.datamap import render_datamap

    _emit(render_datamap(_policy(policy), Base.metadata), output)


@app.command("version")
def version(policy: Path | None = PolicyOption) -> None:
    """Print the policy's version id (what consent records store) and content hash.

    Example: trackguard policy version
    """
    loaded = _policy(policy)
    typer.echo(f"{loaded.version_id}\n{loaded.content_hash}")
