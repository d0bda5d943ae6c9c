"""The shipped policy encodes every promise of the 2019 Conneqtech statement."""

from __future__ import annotations

import pytest

import trackguard.store.models  # noqa: F401 - registers every table on Base.metadata
from trackguard.policy import Policy, taxonomy
from trackguard.store.base import Base


def test_controller_is_conneqtech(policy: Policy) -> None:
    c = policy.controller
    assert c.name == "Conneqtech B.V."
    assert c.trade_names == ("Conneqtor", "My GPS Tracker", "NFNTY")
    assert c.chamber_of_commerce == "63567385"
    assert (c.address.street, c.address.postal_code, c.address.city, c.address.country) == (
        "Einsteinweg 35a",
        "3752 LW",
        "Bunschoten-Spakenburg",
        "NL",
    )
    assert (c.website, c.email, c.phone) == (
        "https://www.conneqtech.com",
        "info@conneqtech.com",
        "+31 33-2053400",
    )
    # The statement misspells it "connegtech" in places; the policy uses the real domain.
    assert c.privacy_contact.email == "privacy@conneqtech.com"
    assert c.privacy_contact.role.en == "Privacy Officer"
    assert c.supervisory_authority.name == "Autoriteit Persoonsgegevens"
    assert c.supervisory_authority.complaint_url == (
        "https://autoriteitpersoonsgegevens.nl/nl/contact-met-de-autoriteit-persoonsgegevens/tip-ons"
    )
    assert str(policy.policy.revised) == "2019-05-13"


def test_model_extensions_hang_under_their_fideslang_parents(policy: Policy) -> None:
    expected = {
        "user.demographic.nationality": "user.demographic",
        "user.demographic.birthplace": "user.demographic",
        "user.device.browser_type": "user.device",
        **{
            f"user.content.private.{k}": "user.content.private"
            for k in (
                "chat",
                "call_recording",
                "whatsapp",
                "email_message",
                "complaint",
                "survey_answer",
            )
        },
    }
    declared = {e.key: e.parent for e in policy.extensions}
    assert expected.items() <= declared.items()
    assert all(parent in taxonomy.data_categories() for parent in declared.values())


STATEMENT_CATEGORIES = [
    "user.name",
    "user.demographic.date_of_birth",
    "user.demographic.birthplace",
    "user.demographic.nationality",
    "user.contact.address",
    "user.contact.phone_number",
    "user.contact.email",
    "user.device.ip_address",
    "user.financial.bank_account",
    "user.financial.credit_card",
    "user.behavior.purchase_history",
    "user.device.browser_type",
    "user.content.private",
    "user.contact.organization",
    "user.location.precise",
    "user.behavior.browsing_history",
    "user.content.private.survey_answer",
    "user.social",
]


@pytest.mark.parametrize("key", STATEMENT_CATEGORIES)
def test_every_category_the_statement_lists_is_declared(policy: Policy, key: str) -> None:
    category = policy.category(key)
    assert category.key == key
    assert category.dpv.startswith("dpv-pd:")


def test_collection_ways_follow_the_statement(policy: Policy) -> None:
    third = {c.key for c in policy.categories if "third_party" in c.collected}
    assert {"user.social", "user.name", "user.contact.email"} <= third
    automatic = {c.key for c in policy.categories if "automatic" in c.collected}
    assert {
        "user.behavior.browsing_history",
        "user.device.browser_type",
        "user.device.ip_address",
        "user.location.precise",
    } <= automatic


def test_only_name_and_email_may_be_stored_outside_the_eu(policy: Policy) -> None:
    outside = {c.key for c in policy.categories if c.residency == "outside_eea"}
    assert outside == {"user.name", "user.contact.email"}


def test_statement_groups_and_non_customers(policy: Policy) -> None:
    groups = {s.key: s for s in policy.data_subjects}
    assert {"customer", "portal_user", "website_visitor", "non_customer"} <= set(groups)
    assert groups["non_customer"].categories == ("user.location.precise",)
    assert "user.contact.organization" in groups["portal_user"].categories


def test_legal_bases_are_the_four_of_the_statement(policy: Policy) -> None:
    bases = {b.key: (b.article, b.dpv) for b in policy.legal_bases}
    assert bases == {
        "contract": ("6(1)(b)", "dpv:Contract"),
        "legitimate_interest": ("6(1)(f)", "dpv:LegitimateInterest"),
        "legal_obligation": ("6(1)(c)", "dpv:LegalObligation"),
        "consent": ("6(1)(a)", "dpv:Consent"),
    }


def test_purposes_of_the_statement_with_their_bases(policy: Policy) -> None:
    expected = {
        "service_delivery": ("essential.service", "contract"),
        "supplier_management": ("operations", "contract"),
        "customer_service": ("essential.service.operations.support", "legitimate_interest"),
        "communication": ("essential.service.notifications", "contract"),
        "administration": ("operations", "legitimate_interest"),
        "research_development": ("functional.service.improve", "legitimate_interest"),
        "legal_compliance": ("essential.legal_obligation", "legal_obligation"),
        "protection": ("essential.fraud_detection", "legitimate_interest"),
        "direct_marketing": ("marketing.communications", "legitimate_interest"),
        "newsletter": ("marketing.communications.email", "consent"),
        "third_party_marketing": ("third_party_sharing", "consent"),
        "aggregated_statistics": ("analytics.reporting.campaign_insights", "legitimate_interest"),
        "management_information": ("analytics.reporting", "legitimate_interest"),
        "website_analytics": ("analytics.reporting.content_performance", "legitimate_interest"),
        "business_transfer": ("operations", "legitimate_interest"),
    }
    actual = {p.key: (p.data_use, p.legal_basis) for p in policy.purposes}
    assert expected.items() <= actual.items()
    assert policy.purpose("direct_marketing").objection_absolute


def test_recipients_and_transfers(policy: Policy) -> None:
    ga = policy.recipient("google_analytics")
    assert ga.third_countries == ("US",) and ga.processing_agreement
    assert "IP" in ga.description.en
    assert policy.recipient("affiliates").third_countries == ("US",)
    assert policy.recipient("marketing_partners").purposes == ("third_party_marketing",)
    shield = policy.safeguard("eu_us_privacy_shield")
    assert shield.status == "invalid"
    assert set(shield.superseded_by) == {
        "eu_us_data_privacy_framework",
        "standard_contractual_clauses",
    }
    assert all("eu_us_privacy_shield" not in r.safeguards for r in policy.recipients)
    for r in policy.recipients:
        if r.kind == "processor":
            assert r.processing_agreement


def _rule(policy: Policy, key: str) -> tuple[str, str, str]:
    rule = policy.rule(key)
    return rule.trigger, rule.period.iso, rule.action


def test_retention_periods_of_the_statement(policy: Policy) -> None:
    assert _rule(policy, "financial_records") == ("age", "P10Y", "delete")
    assert set(policy.rule("financial_records").records) == {
        "orders",
        "returns",
        "payments",
        "purchases",
    }
    assert _rule(policy, "chat_contact") == ("age", "P14D", "delete")
    assert policy.rule("chat_contact").target("chat_messages").exempt_if == "relevant_to_service"
    assert _rule(policy, "calls_and_whatsapp") == ("age", "P3M", "delete")
    assert set(policy.rule("calls_and_whatsapp").records) == {
        "call_recordings",
        "whatsapp_conversations",
    }
    assert _rule(policy, "correspondence") == ("age", "P10Y", "delete")
    assert set(policy.rule("correspondence").records) == {"emails", "complaints"}
    assert _rule(policy, "social_media_consent")[0] == "consent_withdrawal"
    inactivity = policy.rule("account_inactivity")
    assert _rule(policy, "account_inactivity") == ("inactivity", "P2Y", "anonymise")
    assert {"last_login_at", "last_app_use_at"} <= set(inactivity.target("customers").counts_from)
    assert _rule(policy, "id_copy") == ("verification_end", "P30D", "delete")
    assert policy.rule("unlinked_positions").period.approx_days() <= 30
    assert policy.rule("unlinked_positions").target("positions").scope == "unlinked"
    assert policy.rule("web_visits_raw").period.approx_days() <= 31


def test_rights_deadlines_and_id_copy_rules(policy: Policy) -> None:
    rights = policy.rights
    assert {r.key for r in rights.items} == {
        "access",
        "rectification",
        "restriction",
        "erasure",
        "portability",
        "objection",
        "withdraw_consent",
    }
    assert rights.deadline.iso == "P4W" and rights.extension.max.iso == "P2M"
    assert len(rights.restriction_grounds) == 4
    assert [b.key for b in rights.id_copy.blackout] == ["photo", "mrz", "document_number", "bsn"]
    assert rights.id_copy.applies_to == ("access",)
    assert "Autoriteit Persoonsgegevens" in rights.id_copy.guidance.nl
    assert policy.rule(rights.id_copy.retention_rule).key == "id_copy"


def test_every_table_has_a_record_with_retention_when_personal(policy: Policy) -> None:
    for name, table in Base.metadata.tables.items():
        record = policy.record(name)
        personal = [
            c for c in table.columns if taxonomy.is_personal(c.info.get("category") or "system")
        ]
        if personal:
            assert record.retention, name


def test_security_and_storage(policy: Policy) -> None:
    kinds = {m.key: m.kind for m in policy.security.measures}
    assert kinds["need_to_know"] == "organisational"
    assert kinds["confidentiality"] == "organisational"
    assert kinds["encryption"] == "technical"
    assert "naam en e-mailadres" in policy.security.storage.nl
