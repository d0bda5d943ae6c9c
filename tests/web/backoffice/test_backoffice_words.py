"""The back office names stored keys in words (Dutch and English), never as `in_progress`."""

from __future__ import annotations

import html
import re
from typing import get_args

import pytest
from tests.web.backoffice.conftest import Client, World, post_form

from trackguard.policy import load_policy
from trackguard.policy.model import RETENTION_ACTIONS
from trackguard.privacy import requests as rights
from trackguard.privacy.gate import Reason
from trackguard.privacy.requests import REQUEST_TYPES
from trackguard.privacy.requests.kinds import Status, Step
from trackguard.privacy.requests.verification import Method
from trackguard.privacy.retention.report import Status as RetentionStatus
from trackguard.runtime import Runtime
from trackguard.settings import PACKAGED_POLICY
from trackguard.web.backoffice.labels import Labels
from trackguard.web.backoffice.texts import texts
from trackguard.web.language import LANGUAGES

# Reasons the gate gives only for disclosures, never for a back-office view of a customer.
DISCLOSURE_ONLY = {"ok", "unknown_recipient", "anonymised_only", "not_a_recipient_purpose"}


def _cells(page: str) -> set[str]:
    """The text of every table cell, definition and heading of a page."""
    found = re.findall(r"<(?:td|dd|h1|option)[^>]*>([^<]*)<", page)
    return {html.unescape(text).strip() for text in found}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_key_a_page_shows_has_a_word_in_each_language(lang: str) -> None:
    words = texts(lang)
    keys = {
        "request_status_": [*Status, *Step],
        "method_": list(Method),
        "retention_status_": get_args(RetentionStatus),
        "retention_action_": RETENTION_ACTIONS,
        "reason_": [r for r in get_args(Reason) if r not in DISCLOSURE_ONLY],
    }
    missing = [p + k for p, ks in keys.items() for k in ks if p + k not in words]
    assert not missing


@pytest.mark.parametrize("lang", LANGUAGES)
def test_request_types_and_details_are_named_by_the_policy(lang: str) -> None:
    policy = load_policy(PACKAGED_POLICY)
    labels = Labels(policy, lang)
    rights_named = {r.key: r.name.get(lang) for r in policy.rights.items}
    for key, kind in REQUEST_TYPES.items():
        assert labels.kind(key) == rights_named[kind.right]
    ground = policy.rights.restriction_grounds[0]
    assert labels.detail_value("ground", ground.key) == ground.text.get(lang).rstrip(";.")
    purpose = policy.purposes[0]
    assert labels.detail_value("purpose", purpose.key) == purpose.name.get(lang)
    assert labels.detail_value("fields", ["first_name"]) == texts(lang)["field_first_name"]
    assert labels.kind("telepathy") == "telepathy"  # unknown: shown as itself, not hidden


def test_staff_are_named_by_account_and_the_rest_in_words() -> None:
    labels = Labels(load_policy(PACKAGED_POLICY), "en")
    assert labels.actor("staff:abc123") == "staff abc123"
    assert labels.actor("subject") == "the subject"
    assert labels.actor("system") == "automatic"


@pytest.mark.anyio
async def test_the_queue_and_a_request_show_type_status_method_and_history_in_words(
    client_as: Client, runtime: Runtime, world: World
) -> None:
    purpose = runtime.policy.consent_purposes()[0]
    request = rights.submit_request(
        runtime, customer_id=world.demo_id, type="withdrawal", purpose=purpose.key
    ).request
    rights.verify_by_session(runtime, request.id, customer_id=world.demo_id)
    officer = await client_as("privacy_officer")
    base = f"/backoffice/requests/{request.id}"
    assert (await post_form(officer, base, base + "/start")).status_code == 303
    right = runtime.policy.right("withdraw_consent").name

    queue = _cells((await officer.get("/backoffice/requests?lang=nl")).text)
    assert {right.nl, "in behandeling", "ontvangen"} <= queue
    english = _cells((await officer.get("/backoffice/requests?lang=en")).text)
    assert {right.en, "in progress", "received"} <= english

    page = (await officer.get(base + "?lang=nl")).text
    cells = _cells(page)
    assert f"Verzoek: {right.nl}" in cells
    assert {"in behandeling", "identiteit geverifieerd", "betrokkene"} <= cells
    assert purpose.name.nl in cells
    assert "(ingelogd in de portal)" in page
    assert any(c.startswith("medewerker ") for c in cells)  # who started it
    raw = {"withdrawal", "in_progress", "verified", "session", "subject", purpose.key}
    assert not raw & (queue | cells)


@pytest.mark.anyio
async def test_complaints_retention_reports_and_customers_show_no_raw_keys(
    client_as: Client, runtime: Runtime, world: World
) -> None:
    support = await client_as("support")
    complaints = _cells((await support.get("/backoffice/complaints?lang=nl")).text)
    assert complaints & {"open", "opgelost"}
    assert not complaints & {"resolved", "email", "phone", "letter"}

    finance = await client_as("finance")
    customer = _cells((await finance.get(f"/backoffice/customers/{world.demo_id}?lang=nl")).text)
    assert "actief" in customer and "active" not in customer
    listed = html.unescape((await finance.get(f"/backoffice/customers/{world.demo_id}")).text)
    assert re.search(r"\b(bezorgd|verzonden|geretourneerd)\b", listed)
    assert not re.search(r"\b(delivered|shipped|returned|directdebit)\b", listed)

    officer = await client_as("privacy_officer")
    planned = await post_form(officer, "/backoffice/retention", "/backoffice/retention/plan")
    report = _cells((await officer.get(planned.headers["location"] + "?lang=nl")).text)
    assert "klaar" in report and "completed" not in report
    assert report & {"verwijderen", "anonimiseren", "sleutels vernietigen"}
    assert not report & set(RETENTION_ACTIONS)
    records = {t.record for rule in runtime.policy.retention.rules for t in rule.targets}
    assert not report & records
    assert {runtime.policy.record(r).name.nl for r in records} & report
