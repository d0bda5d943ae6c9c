"""`trackguard requests`: data-subject rights requests, from receipt to completion.

Every step is recorded on the request (its events) and in the audit log; what the
subject is told (a refusal, an extension, the outcome) is e-mailed to the address
on file through the SMTP relay in the settings.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from trackguard.commands.context import load_settings
from trackguard.errors import TrackguardError
from trackguard.privacy import requests as rights
from trackguard.privacy.requests.id_copy import content_type_of
from trackguard.privacy.requests.records import RequestView
from trackguard.runtime import Runtime

app = typer.Typer(
    help="Rights requests: access, portability, rectification, restriction, erasure, "
    "objection, withdrawal of consent.\n\n"
    "Example: trackguard requests new --type access --subject jan@example.nl",
    no_args_is_help=True,
)

TYPES = "access|portability|rectification|restriction|erasure|objection|withdrawal"
METHODS = {"session": rights.Method.SESSION, "email": rights.Method.EMAIL}
ID_COPY = ("id-copy", "id_copy")


@contextmanager
def _runtime() -> Iterator[Runtime]:
    with Runtime.open(load_settings()) as runtime:
        yield runtime


def _print(request: RequestView, as_json: bool = True, **extra: object) -> None:
    if as_json:
        typer.echo(json.dumps({**request.to_json(), **extra}, indent=2, ensure_ascii=False))
        return
    typer.echo(
        f"request {request.id}: {request.type}, {request.status}, due {request.due:%Y-%m-%d}"
    )


def _assignments(pairs: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        field, sep, value = pair.partition("=")
        if not sep or not field.strip():
            raise TrackguardError(f"--set takes FIELD=VALUE, not '{field.strip() or pair[:20]}'")
        if field.strip() in values:
            raise TrackguardError(f"--set names '{field.strip()}' twice")
        values[field.strip()] = value
    return values


@app.command("new")
def new(
    type_: str = typer.Option(..., "--type", help=f"The right: {TYPES}."),
    subject: str = typer.Option(..., "--subject", help="The subject's e-mail address on file."),
    ground: str | None = typer.Option(
        None, "--ground", help="Restriction: the policy's ground (e.g. accuracy_contested)."
    ),
    purpose: str | None = typer.Option(
        None,
        "--purpose",
        help="Objection, withdrawal: the purpose (policy key); restriction: only this one.",
    ),
    corrections: list[str] = typer.Option(
        [], "--set", help="Rectification: FIELD=VALUE (first_name, email, phone, ...); repeat."
    ),
) -> None:
    """Record a new request and print it as JSON (id, type, status, received, due).

    Asking again for the same thing while the first request is open prints that
    request (with "duplicate": true) and changes nothing.

    Example: trackguard requests new --type restriction --subject jan@example.nl \\
        --ground accuracy_contested
    """
    with _runtime() as runtime:
        customer_id = rights.customer_id_for_email(runtime, subject)
        done = rights.submit_request(
            runtime,
            customer_id=customer_id,
            type=type_,
            ground=ground,
            purpose=purpose,
            corrections=_assignments(corrections),
        )
    _print(done.request, duplicate=not done.created)


@app.command("verify")
def verify(
    request_id: str = typer.Argument(..., help="The request's id."),
    method: str = typer.Option(..., "--method", help="session | email | id-copy"),
    token: str | None = typer.Option(
        None, "--token", help="email: the token the subject received (omit to send one)."
    ),
    file: Path | None = typer.Option(
        None, "--file", help="id-copy: the copy (JPEG, PNG or PDF).", exists=True, dir_okay=False
    ),
    reason: str | None = typer.Option(
        None, "--reason", help="id-copy: why neither a session nor e-mail can prove identity."
    ),
) -> None:
    """Prove the subject's identity.

    `--method session`: the subject is logged in (the portal records this itself).
    `--method email`: without --token, e-mail a one-time token (valid 24 h) to the
    address on file; with --token, confirm it. `--method id-copy`: only when neither
    works: store the copy encrypted for review (`requests review-id-copy`).

    Example: trackguard requests verify 3f2a... --method email --token Xy7...
    """
    with _runtime() as runtime:
        if method in ID_COPY:
            if file is None or not (reason or "").strip():
                raise TrackguardError("--method id-copy needs --file PATH and --reason TEXT")
            received = rights.receive_id_copy(
                runtime,
                request_id,
                content=file.read_bytes(),
                content_type=content_type_of(file),
                reason=reason or "",
            )
            keys = ", ".join(received.blackout)
            typer.echo(f"ID copy stored encrypted for review; check it blacks out: {keys}")
            typer.echo(f"then run: trackguard requests review-id-copy {request_id} --covered ...")
            return
        if method not in METHODS:
            raise TrackguardError(f"unknown method '{method}': use session, email or id-copy")
        if METHODS[method] is rights.Method.SESSION:
            view, _ = rights.get_request(runtime, request_id)
            done = rights.verify_by_session(
                runtime, request_id, customer_id=view.customer_id or "", actor=rights.OPERATOR
            )
            typer.echo(f"request {done.id} verified (session)")
        elif token is None:
            sent = rights.send_token(runtime, request_id, actor=rights.OPERATOR)
            typer.echo(
                f"token e-mailed to the address on file; valid until {sent.expires.isoformat()}"
            )
        else:
            done = rights.confirm_token(runtime, request_id, token, actor=rights.OPERATOR)
            typer.echo(f"request {done.id} verified (email)")


@app.command("review-id-copy")
def review_id_copy(
    request_id: str = typer.Argument(..., help="The request's id."),
    covered: list[str] = typer.Option(
        [], "--covered", help="A blackout item you found covered (photo, mrz, ...); repeat."
    ),
    mismatch: bool = typer.Option(
        False, "--mismatch", help="The document does not show the account holder."
    ),
) -> None:
    """Review the pending ID copy: accepted only when every blackout item of the policy is
    covered and it shows the account holder. The copy is deleted either way.

    Example: trackguard requests review-id-copy 3f2a... --covered photo --covered mrz \\
        --covered document_number --covered bsn
    """
    with _runtime() as runtime:
        review = rights.review_id_copy(
            runtime,
            request_id,
            covered={item: True for item in covered},
            identity_matches=not mismatch,
        )
    if review.accepted:
        typer.echo(f"request {request_id} verified (ID copy); the copy is deleted")
        return
    missing = ", ".join(review.missing) or "-"
    typer.echo(f"ID copy rejected (not blacked out: {missing}) and deleted")
    _tell_notice(review.emailed, review.queued)


@app.command("complete")
def complete(request_id: str = typer.Argument(..., help="The request's id.")) -> None:
    """Carry out a verified request; for access and portability print the export's path.

    Example: trackguard requests complete 3f2a...
    """
    with _runtime() as runtime:
        done = rights.complete_request(runtime, request_id)
    if done.export_path is not None:
        typer.echo(str(done.export_path))  # only the path on stdout: scripts read it
    else:
        typer.echo(f"request {done.request.id} completed")
    if not done.emailed:
        _tell_notice(done.emailed, done.queued)


@app.command("refuse")
def refuse(
    request_id: str = typer.Argument(..., help="The request's id."),
    reason: str = typer.Option(..., "--reason", help="Why; told to the subject."),
) -> None:
    """Refuse a request; the reason is e-mailed to the subject and kept with the request.

    Example: trackguard requests refuse 3f2a... --reason "Identity could not be verified."
    """
    with _runtime() as runtime:
        told = rights.refuse(runtime, request_id, reason)
    _report(told, "refused")


@app.command("extend")
def extend(
    request_id: str = typer.Argument(..., help="The request's id."),
    reason: str = typer.Option(..., "--reason", help="Why more time is needed; told to them."),
    months: int = typer.Option(1, "--months", help="Months past the first deadline (1 or 2)."),
) -> None:
    """Extend the deadline (at most two months past the first), telling the subject why.

    Example: trackguard requests extend 3f2a... --reason "Many requests this month" --months 1
    """
    with _runtime() as runtime:
        told = rights.extend(runtime, request_id, reason, months)
    _report(told, f"extended, now due {told.request.due.isoformat()}")


def _report(told: rights.Told, what: str) -> None:
    typer.echo(f"request {told.request.id} {what}")
    _tell_notice(told.emailed, told.queued)


def _tell_notice(emailed: bool, queued: bool) -> None:
    """Say what became of the notice to the subject (stderr unless it went out)."""
    if emailed:
        typer.echo("the subject was told by e-mail")
    elif queued:
        typer.echo(
            "the relay did not take the notice now; it waits in the outbox and `serve` retries it",
            err=True,
        )
    else:
        typer.echo("no e-mail address on file: tell the subject another way", err=True)


@app.command("list")
def list_command(
    status: str | None = typer.Option(None, "--status", help="Only requests in this status."),
    overdue: bool = typer.Option(False, "--overdue", help="Only open requests past due."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array."),
) -> None:
    """List requests, the soonest due first; overdue ones are flagged.

    Example: trackguard requests list --overdue --json
    """
    with _runtime() as runtime:
        found = rights.list_requests(runtime, status=status, overdue=overdue)
    if as_json:
        typer.echo(json.dumps([r.to_json() for r in found], indent=2, ensure_ascii=False))
        return
    if not found:
        typer.echo("no requests")
        return
    table = Table("id", "type", "status", "received", "due", "overdue")
    for r in found:
        table.add_row(
            r.id,
            r.type,
            r.status,
            f"{r.received:%Y-%m-%d %H:%M}",
            f"{r.due:%Y-%m-%d %H:%M}",
            "OVERDUE" if r.overdue else "",
        )
    Console(width=200).print(table)


@app.command("show")
def show(
    request_id: str = typer.Argument(..., help="The request's id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show one request with its events (what happened, and what the subject was told).

    Example: trackguard requests show 3f2a... --json
    """
    with _runtime() as runtime:
        request, events = rights.get_request(runtime, request_id)
    if as_json:
        data = {**request.to_json(), "events": [e.to_json() for e in events]}
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    _print(request, as_json=False)
    if request.overdue:
        typer.echo("OVERDUE")
    for key, value in request.details.items():
        typer.echo(f"  {key}: {value}")
    for e in events:
        typer.echo(f"{e.at:%Y-%m-%d %H:%M:%S} {e.status:<17} {e.actor}")
        if e.notice:
            typer.echo(f"    told: {e.notice}")
