"""Fixtures for demo tests: a fixed moment and the periods the statement names."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from trackguard.demo.generate import generate
from trackguard.demo.plans import ConsentPurpose, DemoData, DemoRules
from trackguard.policy.period import Period

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

# The pure generator takes its periods as input; these are the statement's (the seed
# reads them from the policy file instead).
STATEMENT_RULES = DemoRules(
    chat=Period.parse("P14D"),
    chat_relevant=Period.parse("P2Y"),
    call=Period.parse("P3M"),
    whatsapp=Period.parse("P3M"),
    email=Period.parse("P10Y"),
    complaint=Period.parse("P10Y"),
    financial=Period.parse("P10Y"),
    inactivity=Period.parse("P2Y"),
    device_inactivity=Period.parse("P2Y"),
    web_visit=Period.parse("P7D"),
    survey=Period.parse("P1Y"),
    location=Period.parse("P1Y"),
    fleet_location=Period.parse("P7D"),
    consent_proof=Period.parse("P5Y"),
    rights_request=Period.parse("P5Y"),
    unused_business=Period.parse("P30D"),
    alarm_event=Period.parse("P1Y"),
    unused_geofence=Period.parse("P30D"),
    unlinked_geofence_link=Period.parse("P1D"),
    webhook_inactivity=Period.parse("P2Y"),
    rights_deadline=Period.parse("P4W"),
    consent_purposes=(
        ConsentPurpose("newsletter", "Ja, stuur mij nieuwsbrieven.", "Yes, send me newsletters."),
        ConsentPurpose("advertising", "Ja, toon mij advertenties.", "Yes, show me adverts."),
        ConsentPurpose("social_media", "Ja, koppel mijn sociale media.", "Yes, link social media."),
    ),
    rights=(
        "access", "rectification", "restriction", "erasure", "portability", "objection",
        "withdraw_consent",
    ),
    third_party_purpose="social_media",
)  # fmt: skip


@pytest.fixture(scope="session")
def now() -> datetime:
    return NOW


@pytest.fixture(scope="session")
def rules() -> DemoRules:
    return STATEMENT_RULES


@pytest.fixture(scope="session")
def demo_data() -> DemoData:
    return generate(1, NOW, STATEMENT_RULES)
