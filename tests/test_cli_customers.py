"""`trackguard customers list|show`: the operator's decrypted view, audited with its purpose."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from tests.cli_helpers import Run, cli_env, cli_runner
from typer.testing import Result

from trackguard.errors import NotFound, PolicyError
from trackguard.privacy.audit import list_entries
from trackguard.privacy.consent import record_consent
from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.store.models import Customer, Device, RightsRequest

EMAIL = "bram.visser@example.nl"
CREATED = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    with Runtime.open(settings) as opened:
        yield opened


@pytest.fixture
def run(settings: Settings, runtime: Runtime) -> Run:
    return cli_runner(cli_env(settings), "customers")


@pytest.fixture
def customer(runtime: Runtime) -> str:
    vault = runtime.vault
    with runtime.db.session() as session:
        row = Customer(
            created_at=CREATED,
            email_index=vault.blind_index("email", EMAIL),
            language="nl",
            status="active",
        )
        for column, value in (
            ("email", EMAIL),
            ("first_name", "Bram"),
            ("last_name", "Visser"),
            ("postal_address", "Dorpsstraat 1, 3751 AB Bunschoten"),
        ):
            vault.seal(session, row, column, value)
        session.add(row)
        session.flush()
        session.add(
            Device(
                customer_id=row.id,
                imei_index=vault.blind_index("imei", "356938035643809"),
                name="Bakfiets",
                protocol="gt06",
                created_at=CREATED,
                activated_at=CREATED,
            )
        )
        session.add(
            RightsRequest(
                customer_id=row.id,
                type="access",
                status="received",
                received_at=CREATED,
                due_at=datetime(2025, 6, 29, 12, 0, tzinfo=UTC),
            )
        )
        record_consent(
            session,
            customer_id=row.id,
            purpose="newsletter",
            given=True,
            channel="portal",
            proof="Ja, stuur mij de nieuwsbrief.",
            policy_version=runtime.policy.version_id,
            at=CREATED,
            policy=runtime.policy,
        )
        return row.id


def ok(result: Result) -> Any:
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.output)


def test_list_shows_each_customer_with_counts(run: Run, customer: str) -> None:
    [row] = ok(run("list", "--json"))
    assert row["id"] == customer
    assert (row["email"], row["first_name"], row["last_name"]) == (EMAIL, "Bram", "Visser")
    assert (row["devices"], row["open_requests"]) == (1, 1)
    assert row["created"] == CREATED.isoformat()


def test_show_decrypts_the_profile_and_lists_devices_consents_and_requests(
    run: Run, runtime: Runtime, customer: str
) -> None:
    shown = ok(run("show", "BRAM.visser@example.nl", "--json"))
    profile = shown["profile"]
    assert profile["id"] == customer
    assert profile["postal_address"] == "Dorpsstraat 1, 3751 AB Bunschoten"
    assert profile["phone"] is None
    assert [d["name"] for d in shown["devices"]] == ["Bakfiets"]
    assert shown["consents"]["newsletter"]["status"] == "given"
    assert shown["restrictions"] == [] and shown["objections"] == []
    [request] = shown["open_requests"]
    assert (request["type"], request["overdue"]) == ("access", True)
    with runtime.db.session() as session:
        entry = list_entries(session, subject_id=customer)[-1]
    assert (entry.action, entry.purpose, entry.actor) == (
        "customers.show",
        "customer_service",
        "operator",
    )
    assert "user.contact.address" in entry.categories


def test_show_records_the_purpose_given(run: Run, runtime: Runtime, customer: str) -> None:
    ok(run("show", EMAIL, "--purpose", "legal_compliance", "--json"))
    with runtime.db.session() as session:
        assert list_entries(session, subject_id=customer)[-1].purpose == "legal_compliance"


def test_an_unknown_purpose_or_customer_is_refused(run: Run, customer: str) -> None:
    assert isinstance(run("show", EMAIL, "--purpose", "curiosity").exception, PolicyError)
    assert isinstance(run("show", "nobody@example.nl").exception, NotFound)


def test_the_table_output_names_the_customer(run: Run, customer: str) -> None:
    result = run("list")
    assert result.exit_code == 0
    assert EMAIL in result.output and "Bram Visser" in result.output
    shown = run("show", EMAIL)
    assert "postal_address: Dorpsstraat 1" in shown.output
