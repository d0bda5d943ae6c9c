"""The record of processing activities (GDPR Art. 30(1)), one row per purpose.

Columns follow Art. 30(1) (a)-(g), plus the legal basis and each purpose's and
category's W3C DPV concept, so the register reads in both vocabularies. Lists
stay lists in JSON and are joined with "; " in CSV.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from trackguard.errors import TrackguardError
from trackguard.policy.model import LANGUAGES, Policy, Purpose
from trackguard.policy.render import format_article, format_period, labels

FORMATS: tuple[str, ...] = ("csv", "json")

# Column -> the Art. 30(1) point it answers ("" for additions beyond Art. 30).
FIELDS: dict[str, str] = {
    "activity": "b",
    "activity_name": "b",
    "controller_name": "a",
    "controller_contact": "a",
    "privacy_officer_contact": "a",
    "purpose": "b",
    "data_use": "b",
    "purpose_dpv": "b",
    "legal_basis": "",
    "legal_basis_article": "",
    "legal_basis_dpv": "",
    "data_subject_categories": "c",
    "personal_data_categories": "c",
    "personal_data_keys": "c",
    "personal_data_dpv": "c",
    "recipient_categories": "d",
    "third_country_transfers": "e",
    "transfer_safeguards": "e",
    "erasure_time_limits": "f",
    "security_measures": "g",
    "records": "",
    "policy_version": "",
}


def register(policy: Policy, lang: str = "en") -> list[dict[str, Any]]:
    """One dict per processing activity (purpose), keys in `FIELDS` order."""
    if lang not in LANGUAGES:
        raise TrackguardError(f"unsupported language '{lang}' (use nl or en)")
    return [_activity(policy, purpose, lang) for purpose in policy.purposes]


def render_ropa(policy: Policy, fmt: str, lang: str = "en") -> str:
    """The register as CSV or JSON text."""
    if fmt not in FORMATS:
        raise TrackguardError(f"unsupported format '{fmt}' (use csv or json)")
    rows = register(policy, lang)
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(FIELDS), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "; ".join(v) if isinstance(v, list) else v for k, v in row.items()})
    return out.getvalue()


def _activity(policy: Policy, purpose: Purpose, lang: str) -> dict[str, Any]:
    words = labels(lang)["ropa"]
    c = policy.controller
    address = f"{c.address.street}, {c.address.postal_code} {c.address.city}, {c.address.country}"
    basis = policy.legal_basis(purpose.legal_basis)
    categories = [policy.category(k) for k in purpose.categories]
    recipients = policy.recipients_for(purpose.key)
    records = [r for r in policy.records if purpose.key in r.purposes]
    transfers = [r for r in recipients if r.third_countries and r.personal_data]
    return {
        "activity": purpose.key,
        "activity_name": purpose.name.get(lang),
        "controller_name": f"{c.name} (KvK {c.chamber_of_commerce})",
        "controller_contact": f"{address}; {c.email}; {c.phone}; {c.website}",
        "privacy_officer_contact": (
            f"{c.privacy_contact.role.get(lang)}: {c.privacy_contact.email}; "
            f"{c.privacy_contact.attention.get(lang)}, {address}"
        ),
        "purpose": purpose.description.get(lang),
        "data_use": purpose.data_use,
        "purpose_dpv": purpose.dpv,
        "legal_basis": basis.name.get(lang),
        "legal_basis_article": format_article(basis.article, lang),
        "legal_basis_dpv": basis.dpv,
        "data_subject_categories": [
            policy.data_subject(s).name.get(lang) for s in purpose.data_subjects
        ],
        "personal_data_categories": [cat.name.get(lang) for cat in categories],
        "personal_data_keys": list(purpose.categories),
        "personal_data_dpv": sorted({cat.dpv for cat in categories}),
        "recipient_categories": [
            f"{r.name.get(lang)} ({', '.join(r.countries)})" for r in recipients
        ]
        or [words["recipients_none"]],
        "third_country_transfers": [
            f"{r.name.get(lang)}: {', '.join(r.third_countries)}" for r in transfers
        ]
        or [words["no_transfers"]],
        "transfer_safeguards": sorted(
            {policy.safeguard(k).name.get(lang) for r in transfers for k in r.safeguards}
        )
        or [words["none"]],
        "erasure_time_limits": _time_limits(policy, records, lang),
        "security_measures": [m.text.get(lang) for m in policy.security.measures],
        "records": [r.table for r in records],
        "policy_version": policy.version_id,
    }


def _time_limits(policy: Policy, records: list[Any], lang: str) -> list[str]:
    seen: list[str] = []
    for record in records:
        for key in record.retention:
            if key not in seen:
                seen.append(key)
    if not seen:
        return [f"{labels(lang)['ropa']['not_stored']}: {policy.retention.principle.get(lang)}"]
    return [
        f"{rule.name.get(lang)} ({format_period(rule.period, lang)}): {rule.statement.get(lang)}"
        for rule in (policy.rule(k) for k in seen)
    ]
