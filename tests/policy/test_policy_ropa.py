"""The Art. 30 register: one row per purpose, every Art. 30(1) field filled in."""

from __future__ import annotations

import csv
import io
import json

import pytest

from trackguard.errors import TrackguardError
from trackguard.policy import Policy
from trackguard.policy.ropa import FIELDS, register, render_ropa


def test_every_art_30_1_point_has_a_column() -> None:
    assert set("abcdefg") <= set(FIELDS.values())


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_json_register_has_every_purpose_with_every_field_filled(policy: Policy, lang: str) -> None:
    rows = json.loads(render_ropa(policy, "json", lang))
    assert [r["activity"] for r in rows] == [p.key for p in policy.purposes]
    for row in rows:
        assert list(row) == list(FIELDS)
        for field, value in row.items():
            if field == "records":
                continue  # a purpose served outside the platform (suppliers) has no table
            assert value, (row["activity"], field)
            if isinstance(value, list):
                assert all(isinstance(v, str) and v for v in value)


def test_csv_register_parses_with_one_row_per_purpose(policy: Policy) -> None:
    text = render_ropa(policy, "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["activity"] for r in rows] == [p.key for p in policy.purposes]
    for row in rows:
        for field in FIELDS:
            if field != "records":
                assert row[field].strip(), (row["activity"], field)


def test_register_row_carries_basis_dpv_recipients_transfers_and_time_limits(
    policy: Policy,
) -> None:
    rows = {r["activity"]: r for r in register(policy)}
    chats = rows["customer_service"]
    assert chats["legal_basis_dpv"] == "dpv:LegitimateInterest"
    assert chats["legal_basis_article"] == "GDPR Art. 6(1)(f)"
    assert chats["purpose_dpv"] == "dpv:CustomerCare"
    assert any("14 days" in limit for limit in chats["erasure_time_limits"])
    assert any("3 months" in limit for limit in chats["erasure_time_limits"])
    analytics = rows["website_analytics"]
    assert any("US" in t for t in analytics["third_country_transfers"])
    assert "EU-US Data Privacy Framework" in analytics["transfer_safeguards"]
    # The invalid Privacy Shield is never a safeguard a transfer relies on.
    assert all("Privacy Shield" not in s for r in rows.values() for s in r["transfer_safeguards"])
    assert rows["newsletter"]["legal_basis_dpv"] == "dpv:Consent"
    assert rows["legal_compliance"]["legal_basis_article"] == "GDPR Art. 6(1)(c)"
    assert rows["supplier_management"]["erasure_time_limits"][0].startswith("not stored")
    assert "privacy@conneqtech.com" in rows["service_delivery"]["privacy_officer_contact"]


def test_unknown_register_format_or_language_is_refused(policy: Policy) -> None:
    with pytest.raises(TrackguardError):
        render_ropa(policy, "xlsx")
    with pytest.raises(TrackguardError):
        render_ropa(policy, "csv", "fr")
