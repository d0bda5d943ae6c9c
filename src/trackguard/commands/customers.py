"""`trackguard customers`: the operator's view of customers (every read is audited).

`show` decrypts one customer's profile for the operator: that is processing of
personal data, so it needs a purpose from the policy (default customer service)
and writes an audit entry naming the subject, the purpose and the categories read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trackguard.clock import as_utc
from trackguard.commands.context import load_settings
from trackguard.errors import VaultError
from trackguard.privacy.audit import AuditLog
from trackguard.privacy.requests.kinds import OPEN
from trackguard.privacy.requests.records import view
from trackguard.privacy.requests.subjects import customer_by_email, is_erased
from trackguard.runtime import Runtime
from trackguard.store.models import Customer, Device, RightsRequest
from trackguard.vault import Vault
from trackguard.vault.binding import encrypted_columns

app = typer.Typer(
    help="Customers: list them, show one's profile (decrypted, audited).\n\n"
    "Example: trackguard customers show jan@example.nl --json",
    no_args_is_help=True,
)

ACTOR = ROLE = "operator"
DEFAULT_PURPOSE = "customer_service"
_LISTED = ("email", "first_name", "last_name")


@contextmanager
def _runtime() -> Iterator[Runtime]:
    with Runtime.open(load_settings()) as runtime:
        yield runtime


def _iso(value: datetime | None) -> str | None:
    return as_utc(value).isoformat() if value is not None else None


def _category(column: str) -> str:
    return str(Customer.__table__.c[column].info["category"])


def _open(session: Session, vault: Vault, customer: Customer, column: str) -> str | None:
    try:
        return vault.unseal(session, customer, column)
    except VaultError:  # destroyed key (erased subject): nothing readable is left
        return None


def _check_purpose(runtime: Runtime, purpose: str) -> str:
    return runtime.policy.purpose(purpose).key  # PolicyError for a purpose it lacks


@app.command("list")
def list_command(
    purpose: str = typer.Option(DEFAULT_PURPOSE, "--purpose", help="Why (a policy purpose)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array."),
) -> None:
    """List customers: id, e-mail, name, status, devices, open requests.

    Example: trackguard customers list --json
    """
    with _runtime() as runtime, runtime.db.session() as session:
        _check_purpose(runtime, purpose)
        devices = dict(
            session.execute(
                select(Device.customer_id, func.count())
                .where(Device.customer_id.is_not(None))
                .group_by(Device.customer_id)
            ).all()
        )
        open_requests = dict(
            session.execute(
                select(RightsRequest.customer_id, func.count())
                .where(RightsRequest.status.in_([s.value for s in OPEN]))
                .group_by(RightsRequest.customer_id)
            ).all()
        )
        rows: list[dict[str, Any]] = []
        for customer in session.scalars(select(Customer).order_by(Customer.created_at)):
            readable = not is_erased(customer)
            row: dict[str, Any] = {"id": customer.id, "status": customer.status}
            for column in _LISTED:
                row[column] = _open(session, runtime.vault, customer, column) if readable else None
            row |= {
                "language": customer.language,
                "created": _iso(customer.created_at),
                "devices": int(devices.get(customer.id, 0)),
                "open_requests": int(open_requests.get(customer.id, 0)),
            }
            rows.append(row)
        AuditLog(runtime.clock).append(
            session,
            actor=ACTOR,
            role=ROLE,
            purpose=purpose,
            subject_id=None,
            categories=[_category(c) for c in _LISTED],
            action="customers.list",
        )
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        typer.echo("no customers")
        return
    table = Table("id", "e-mail", "name", "status", "devices", "open requests")
    for r in rows:
        name = " ".join(p for p in (r["first_name"], r["last_name"]) if p)
        table.add_row(
            r["id"], r["email"] or "-", name or "-", r["status"], str(r["devices"]),
            str(r["open_requests"]),
        )  # fmt: skip
    Console(width=200).print(table)


@app.command("show")
def show(
    email: str = typer.Argument(..., help="The customer's e-mail address."),
    purpose: str = typer.Option(DEFAULT_PURPOSE, "--purpose", help="Why (a policy purpose)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show one customer's profile, decrypted: contact and identity fields, devices,
    consents, restrictions, objections and open requests. The read is audited.

    Example: trackguard customers show jan@example.nl --purpose customer_service --json
    """
    with _runtime() as runtime, runtime.db.session() as session:
        _check_purpose(runtime, purpose)
        customer = customer_by_email(session, runtime.vault, email)
        profile = _profile(session, runtime, customer)
        AuditLog(runtime.clock).append(
            session,
            actor=ACTOR,
            role=ROLE,
            purpose=purpose,
            subject_id=customer.id,
            categories=sorted({_category(c) for c in encrypted_columns(customer)}),
            action="customers.show",
        )
    if as_json:
        typer.echo(json.dumps(profile, indent=2, ensure_ascii=False))
        return
    for key, value in profile["profile"].items():
        typer.echo(f"{key}: {value if value is not None else '-'}")
    for section in ("devices", "consents", "restrictions", "objections", "open_requests"):
        typer.echo(f"{section}:")
        items = profile[section]
        pairs = items.items() if isinstance(items, dict) else ((None, i) for i in items)
        for key, item in pairs:
            label = f"{key}: " if key else ""
            typer.echo(f"  {label}{json.dumps(item, ensure_ascii=False)}")


def _profile(session: Session, runtime: Runtime, customer: Customer) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": customer.id,
        "status": customer.status,
        "language": customer.language,
        "created": _iso(customer.created_at),
        "last_login": _iso(customer.last_login_at),
        "last_app_use": _iso(customer.last_app_use_at),
        "anonymised": _iso(customer.anonymised_at),
    }
    for column in encrypted_columns(customer):
        fields[column] = _open(session, runtime.vault, customer, column)
    now = runtime.clock()
    devices = [
        {
            "id": d.id,
            "name": d.name,
            "protocol": d.protocol,
            "activated": _iso(d.activated_at),
            "last_seen": _iso(d.last_seen_at),
            "armed": d.armed,
        }
        for d in session.scalars(
            select(Device).where(Device.customer_id == customer.id).order_by(Device.created_at)
        )
    ]
    requests = [
        view(r, now).to_json()
        for r in session.scalars(
            select(RightsRequest)
            .where(
                RightsRequest.customer_id == customer.id,
                RightsRequest.status.in_([s.value for s in OPEN]),
            )
            .order_by(RightsRequest.due_at)
        )
    ]
    return {
        "profile": fields,
        "devices": devices,
        **_choices(session, runtime, customer.id),
        "open_requests": requests,
    }


def _choices(session: Session, runtime: Runtime, customer_id: str) -> dict[str, Any]:
    """Consents, restrictions and objections, as the privacy modules derive them."""
    from trackguard.privacy.choices import active_objections, active_restrictions
    from trackguard.privacy.consent import consent_state

    consents = {
        key: {"status": s.status, "since": _iso(s.since), "channel": s.channel}
        for key, s in consent_state(session, customer_id, policy=runtime.policy).items()
    }
    restrictions = [
        {"ground": r.ground, "purpose": r.purpose, "since": _iso(r.started_at)}
        for r in active_restrictions(session, customer_id)
    ]
    objections = [
        {"purpose": o.purpose, "since": _iso(o.lodged_at)}
        for o in active_objections(session, customer_id)
    ]
    return {"consents": consents, "restrictions": restrictions, "objections": objections}
