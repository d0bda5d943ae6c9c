"""The "my data" overview: per category what we hold, why, on what basis, how long.

The facts come from the policy (the records a category sits in, their purposes and
legal bases, recipients, retention rules, how the category is collected); the counts
from the database, one `count(*)` per record the policy declares. The account's own
values (name, e-mail, ...) are read through the vault. `category_summaries` is pure:
it takes the counts and returns plain values, for the page and the API alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from trackguard.clock import as_utc
from trackguard.errors import PolicyError, TrackguardError
from trackguard.policy import Policy
from trackguard.policy.model import Purpose
from trackguard.policy.taxonomy import covers, is_personal
from trackguard.store.models import Customer
from trackguard.store.subject_tables import subject_tables
from trackguard.vault import Vault

# The customer's own columns not worth showing as "data": the blind index is a keyed
# hash of the e-mail (shown itself), the password hash is a credential.
HIDDEN_PROFILE_CATEGORIES = ("user.unique_id.pseudonymous",)


@dataclass(frozen=True)
class RecordCount:
    table: str
    name: str
    rows: int


@dataclass(frozen=True)
class PurposeBasis:
    key: str
    name: str
    legal_basis: str
    legal_basis_name: str
    article: str


@dataclass(frozen=True)
class RecipientName:
    key: str
    name: str
    countries: tuple[str, ...]


@dataclass(frozen=True)
class Kept:
    rule: str
    name: str
    period: str  # ISO 8601 duration
    action: str
    statement: str


@dataclass(frozen=True)
class CategorySummary:
    key: str
    name: str
    description: str
    sources: tuple[str, ...]  # collection methods: direct, third_party, automatic
    records: tuple[RecordCount, ...]
    purposes: tuple[PurposeBasis, ...]
    recipients: tuple[RecipientName, ...]
    retention: tuple[Kept, ...]


@dataclass(frozen=True)
class ProfileValue:
    field: str  # the customer column
    category: str
    value: str | None  # a moment as ISO 8601
    moment: datetime | None = None  # the same, for showing in the reader's zone


def record_counts(session: Session, policy: Policy, customer_id: str) -> dict[str, int]:
    """Records about the customer in every record the policy declares (non-zero ones only)."""
    counts: dict[str, int] = {}
    for table in subject_tables():
        if not policy.has_record(table.name):
            continue
        rows = session.scalar(
            select(table.record_count())
            .select_from(table.table)
            .where(table.belongs_to(customer_id))
        )
        if rows:
            counts[table.name] = int(rows)
    return counts


def _declared(policy: Policy, key: str) -> str | None:
    try:
        return policy.category(key).key
    except PolicyError:
        return None


def _uses(purpose: Purpose, category: str) -> bool:
    return any(covers(c, category) or covers(category, c) for c in purpose.categories)


def category_summaries(
    policy: Policy, counts: Mapping[str, int], lang: str
) -> list[CategorySummary]:
    """One summary per declared category the counted records hold, in the policy's order."""
    by_category: dict[str, list[str]] = {}
    for table in counts:
        for key in policy.record(table).categories:
            declared = _declared(policy, key)
            if declared is not None and table not in by_category.setdefault(declared, []):
                by_category[declared].append(table)
    return [
        _summary(policy, category.key, by_category[category.key], counts, lang)
        for category in policy.categories
        if category.key in by_category
    ]


def _summary(
    policy: Policy, key: str, tables: list[str], counts: Mapping[str, int], lang: str
) -> CategorySummary:
    category = policy.category(key)
    purposes: list[Purpose] = []
    rules = []
    for table in tables:
        declared = policy.purposes_for(table)
        using = [p for p in declared if _uses(p, key)] or declared
        purposes += [p for p in using if p not in purposes]
        rules += [r for r in policy.rules_for(table) if r not in rules]
    recipients = []
    for purpose in purposes:
        recipients += [
            r for r in policy.recipients_for(purpose.key) if r.personal_data and r not in recipients
        ]
    return CategorySummary(
        key=key,
        name=category.name.get(lang),
        description=category.description.get(lang),
        sources=tuple(category.collected),
        records=tuple(RecordCount(t, policy.record(t).name.get(lang), counts[t]) for t in tables),
        purposes=tuple(
            PurposeBasis(
                key=p.key,
                name=p.name.get(lang),
                legal_basis=p.legal_basis,
                legal_basis_name=policy.legal_basis(p.legal_basis).name.get(lang),
                article=policy.legal_basis(p.legal_basis).article,
            )
            for p in purposes
        ),
        recipients=tuple(
            RecipientName(r.key, r.name.get(lang), tuple(r.countries)) for r in recipients
        ),
        retention=tuple(
            Kept(r.key, r.name.get(lang), r.period.iso, r.action, r.statement.get(lang))
            for r in rules
        ),
    )


def profile_values(session: Session, vault: Vault, customer: Customer) -> list[ProfileValue]:
    """The account's personal columns, decrypted; credentials and blind indexes left out."""
    shown = []
    for column in Customer.__table__.columns:
        category = str(column.info.get("category", ""))
        if not is_personal(category) or category.startswith(HIDDEN_PROFILE_CATEGORIES):
            continue
        encrypted = bool(column.info.get("encrypted"))
        value = _value(session, vault, customer, column.name, encrypted)
        raw = getattr(customer, column.name)
        moment = as_utc(raw) if isinstance(raw, datetime) else None
        shown.append(ProfileValue(column.name, category, value, moment))
    return shown


def _value(
    session: Session, vault: Vault, customer: Customer, name: str, encrypted: bool
) -> str | None:
    if encrypted:
        try:
            return vault.unseal(session, customer, name)
        except TrackguardError:
            return None  # the key is gone: nothing readable is left
    raw = getattr(customer, name)
    if raw is None:
        return None
    return as_utc(raw).isoformat() if isinstance(raw, datetime) else str(raw)
