"""The policy file's shape: pydantic models, frozen, unknown keys refused.

Structure only; cross-references (a purpose naming a declared legal basis, a rule
pointing at a declared record, ...) are checked by `policy.validate`, which knows
where each value sits in the file.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    PrivateAttr,
    StringConstraints,
)

from trackguard.errors import PolicyError
from trackguard.policy import taxonomy
from trackguard.policy.period import Period

Lang = Literal["nl", "en"]
LANGUAGES: tuple[str, ...] = get_args(Lang)

LegalBasisKey = Literal["contract", "legitimate_interest", "legal_obligation", "consent"]
LEGAL_BASES: tuple[str, ...] = get_args(LegalBasisKey)

CollectionMethod = Literal["direct", "third_party", "automatic"]
COLLECTION_METHODS: tuple[str, ...] = get_args(CollectionMethod)

# eea: stored on EU/EEA territory; outside_eea: may also be stored outside it (see recipients).
Residency = Literal["eea", "outside_eea"]

# What the retention engine does to the rows a rule selects:
#   delete       remove the rows.
#   anonymise    overwrite the rows' personal (user.*) columns with NULL or a neutral value,
#                keeping the row (counts, audit chains); with `key_classes`, also destroy the
#                subject's data keys of those classes, so their ciphertext becomes unreadable.
#   destroy_keys destroy the subject's data keys of `key_classes` (crypto-shredding).
RetentionAction = Literal["delete", "anonymise", "destroy_keys"]
RETENTION_ACTIONS: tuple[str, ...] = get_args(RetentionAction)

# When a row is due (`now` is passed in; a NULL timestamp never makes a row due):
#   age                 counts_from[0] + period <= now
#   inactivity          max(non-NULL counts_from) + period <= now  (the newest activity)
#   consent_withdrawal  the subject's latest consent event for `purpose` is a withdrawal
#                       (counts_from is empty); `period` is the most the erasure may take
#   verification_end    due_when_set is not NULL, or counts_from[0] + period <= now
#   unreferenced        no row of `referenced_by` points at it, and counts_from[0] + period
#                       <= now
# A target's exempt_if (boolean column) spares rows where it is true; only_if selects only
# rows where it is true; scope "linked"/"unlinked" selects rows whose subject column (via
# the table's `subject_via`) does / does not lead to a data subject.
RetentionTrigger = Literal[
    "age", "inactivity", "consent_withdrawal", "verification_end", "unreferenced"
]
RETENTION_TRIGGERS: tuple[str, ...] = get_args(RetentionTrigger)
RowScope = Literal["all", "linked", "unlinked"]

RightKey = Literal[
    "access",
    "rectification",
    "restriction",
    "erasure",
    "portability",
    "objection",
    "withdraw_consent",
]
RIGHTS: tuple[str, ...] = get_args(RightKey)

Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]
FidesKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")]
TableName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
ColumnName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
DpvConcept = Annotated[str, StringConstraints(pattern=r"^dpv(-pd)?:[A-Z][A-Za-z0-9]*$")]
Country = Annotated[str, StringConstraints(pattern=r"^([A-Z]{2}|EEA)$")]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")]
Url = Annotated[str, StringConstraints(pattern=r"^https?://[^\s]+$")]
Line = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


def _period(value: Any) -> Period:
    if isinstance(value, Period):
        return value
    if not isinstance(value, str):
        raise ValueError("expected an ISO 8601 period such as P14D, P3M or P10Y")
    return Period.parse(value)


IsoPeriod = Annotated[
    Period, PlainValidator(_period), PlainSerializer(lambda p: p.iso, return_type=str)
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Text(Strict):
    """Text shown to people, in every language the statement is published in."""

    nl: Line
    en: Line

    def get(self, lang: str) -> str:
        if lang not in LANGUAGES:
            raise PolicyError(f"unsupported language '{lang}' (use nl or en)")
        return str(getattr(self, lang))


class PolicyInfo(Strict):
    key: Key
    version: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z.+-]{1,24}$")]
    revised: date
    languages: tuple[Lang, ...] = Field(min_length=1)
    title: Text
    intro: Text
    source: Text
    notes: tuple[Text, ...] = ()


class Address(Strict):
    street: Line
    postal_code: Line
    city: Line
    country: Country
    country_name: Text


class PrivacyContact(Strict):
    role: Text
    email: Email
    attention: Text


class SupervisoryAuthority(Strict):
    name: Line
    country: Country
    website: Url
    complaint_url: Url


class Controller(Strict):
    name: Line
    legal_form: Text
    trade_names: tuple[Line, ...]
    chamber_of_commerce: Annotated[str, StringConstraints(pattern=r"^[0-9]{8}$")]
    address: Address
    website: Url
    email: Email
    phone: Line
    description: Text
    privacy_contact: PrivacyContact
    supervisory_authority: SupervisoryAuthority


class Extension(Strict):
    """A category fideslang lacks, declared under its nearest fideslang parent."""

    key: FidesKey
    parent: FidesKey
    name: Text
    description: Text


class Category(Strict):
    key: FidesKey
    name: Text
    description: Text
    collected: tuple[CollectionMethod, ...] = Field(min_length=1)
    dpv: DpvConcept
    residency: Residency


class DataSubject(Strict):
    key: Key
    fides_key: Key | None = None
    name: Text
    description: Text
    categories: tuple[FidesKey, ...] = Field(min_length=1)


class LegalBasis(Strict):
    key: LegalBasisKey
    article: Annotated[str, StringConstraints(pattern=r"^6\(1\)\([a-f]\)$")]
    dpv: DpvConcept
    name: Text
    description: Text


class Purpose(Strict):
    key: Key
    data_use: FidesKey
    legal_basis: LegalBasisKey
    dpv: DpvConcept
    name: Text
    description: Text
    data_subjects: tuple[Key, ...] = Field(min_length=1)
    categories: tuple[FidesKey, ...] = Field(min_length=1)
    # Direct marketing: an objection always stops it (GDPR Art. 21(3)).
    objection_absolute: bool = False
    # What a person is asked to agree to (consent purposes only); kept as proof.
    consent_prompt: Text | None = None


class Safeguard(Strict):
    key: Key
    name: Text
    legal_reference: Text
    status: Literal["valid", "invalid"]
    superseded_by: tuple[Key, ...] = ()
    note: Text | None = None


class Recipient(Strict):
    key: Key
    kind: Literal["affiliate", "processor", "third_party", "public", "acquirer", "authority"]
    name: Text
    description: Text
    purposes: tuple[Key, ...] = Field(min_length=1)
    countries: tuple[Country, ...] = Field(min_length=1)
    third_countries: tuple[Country, ...] = ()
    safeguards: tuple[Key, ...] = ()
    processing_agreement: bool = False
    personal_data: bool = True


class RetentionTarget(Strict):
    """One record a rule applies to, and the columns the rule reads on it."""

    record: TableName
    counts_from: tuple[ColumnName, ...] = ()
    due_when_set: ColumnName | None = None
    exempt_if: ColumnName | None = None
    only_if: ColumnName | None = None
    scope: RowScope = "all"

    def columns(self) -> list[tuple[str, str]]:
        """(role, column) for every column this target names."""
        named = [("counts_from", c) for c in self.counts_from]
        for role in ("due_when_set", "exempt_if", "only_if"):
            if (column := getattr(self, role)) is not None:
                named.append((role, column))
        return named


class RetentionRule(Strict):
    key: Key
    name: Text
    trigger: RetentionTrigger
    period: IsoPeriod
    action: RetentionAction
    key_classes: tuple[Key, ...] = ()  # vault key classes (store.base.KEY_CLASSES)
    purpose: Key | None = None
    referenced_by: tuple[Annotated[str, StringConstraints(pattern=r"^[a-z_]+\.[a-z_]+$")], ...] = ()
    targets: tuple[RetentionTarget, ...] = Field(min_length=1)
    statement: Text
    reason: Text

    @property
    def records(self) -> tuple[str, ...]:
        return tuple(t.record for t in self.targets)

    def target(self, table: str) -> RetentionTarget:
        for t in self.targets:
            if t.record == table:
                return t
        raise PolicyError(f"retention rule '{self.key}' does not apply to record '{table}'")


class Retention(Strict):
    principle: Text
    rules: tuple[RetentionRule, ...] = Field(min_length=1)


class Record(Strict):
    """A database table: what it may hold, why, and how long."""

    table: TableName
    name: Text
    description: Text
    categories: tuple[FidesKey, ...] = ()
    purposes: tuple[Key, ...] = ()
    retention: tuple[Key, ...] = ()
    # Declared before the code stores it: `policy check` does not miss its table.
    optional: bool = False


class Right(Strict):
    key: RightKey
    article: Line
    name: Text
    description: Text


class RestrictionGround(Strict):
    key: Key
    text: Text


class Blackout(Strict):
    key: Key
    name: Text


class DeadlineExtension(Strict):
    max: IsoPeriod
    text: Text


class IdCopy(Strict):
    applies_to: tuple[RightKey, ...] = Field(min_length=1)
    when: Text
    guidance: Text
    blackout: tuple[Blackout, ...] = Field(min_length=1)
    retention_rule: Key


class Rights(Strict):
    intro: Text
    how_to: Text
    voluntary: Text
    items: tuple[Right, ...] = Field(min_length=1)
    deadline: IsoPeriod
    extension: DeadlineExtension
    restriction_grounds: tuple[RestrictionGround, ...] = Field(min_length=1)
    restriction_effect: Text
    id_copy: IdCopy
    compromised_account: Text


class Measure(Strict):
    key: Key
    kind: Literal["technical", "organisational"]
    text: Text


class Security(Strict):
    intro: Text
    measures: tuple[Measure, ...] = Field(min_length=1)
    storage: Text
    sub_processors: Text
    user_duties: Text


class Collection(Strict):
    intro: Text
    direct: Text
    third_party: Text
    automatic: Text
    voluntary: Text


class Website(Strict):
    intro: Text
    logged: tuple[Text, ...] = Field(min_length=1)
    use: Text
    cookies: Text
    cookie_purposes: tuple[Text, ...] = Field(min_length=1)
    cookie_removal: Text
    pixels: Text
    analytics: Text
    analytics_recipient: Key
    analytics_metrics: tuple[Text, ...] = Field(min_length=1)
    analytics_sharing: Text
    management_information: Text


class Transfers(Strict):
    intro: Text
    processors: Text


class Complaints(Strict):
    intro: Text
    authority: Text


class Policy(Strict):
    policy: PolicyInfo
    controller: Controller
    extensions: tuple[Extension, ...] = ()
    categories: tuple[Category, ...] = Field(min_length=1)
    data_subjects: tuple[DataSubject, ...] = Field(min_length=1)
    collection: Collection
    legal_bases: tuple[LegalBasis, ...] = Field(min_length=1)
    purposes_intro: Text
    purposes: tuple[Purpose, ...] = Field(min_length=1)
    safeguards: tuple[Safeguard, ...] = ()
    recipients_intro: Text
    recipients: tuple[Recipient, ...] = ()
    website: Website
    transfers: Transfers
    records: tuple[Record, ...] = Field(min_length=1)
    retention: Retention
    rights: Rights
    security: Security
    complaints: Complaints

    _source: Path | None = PrivateAttr(default=None)
    _hash: str = PrivateAttr(default="")

    def model_post_init(self, context: Any, /) -> None:
        canonical = json.dumps(
            self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        self._hash = hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    # -- identity -----------------------------------------------------------------

    @property
    def version(self) -> str:
        """The policy's declared version (e.g. `2019-05-13.1`)."""
        return self.policy.version

    @property
    def content_hash(self) -> str:
        """SHA-256 of the policy's content (not its formatting or comments)."""
        return self._hash

    @property
    def version_id(self) -> str:
        """Version plus a content digest: what a consent event records as the
        policy the person saw (fits `consent_events.policy_version`)."""
        return f"{self.version}+{self._hash[:12]}"

    @property
    def source(self) -> Path | None:
        """The file this policy was loaded from, if any."""
        return self._source

    def with_source(self, path: Path) -> Policy:
        self._source = path
        return self

    # -- look-ups -----------------------------------------------------------------

    def record(self, table: str) -> Record:
        return _find(self.records, "table", table, "record")

    def has_record(self, table: str) -> bool:
        return any(r.table == table for r in self.records)

    def category(self, key: str) -> Category:
        """The declared category `key`, or the nearest declared ancestor of it."""
        found = taxonomy.nearest(key, (c.key for c in self.categories))
        if found is None:
            raise PolicyError(f"category '{key}' is not declared in the policy")
        return _find(self.categories, "key", found, "category")

    def purpose(self, key: str) -> Purpose:
        return _find(self.purposes, "key", key, "purpose")

    def legal_basis(self, key: str) -> LegalBasis:
        return _find(self.legal_bases, "key", key, "legal basis")

    def basis_of(self, purpose: str) -> LegalBasis:
        return self.legal_basis(self.purpose(purpose).legal_basis)

    def rule(self, key: str) -> RetentionRule:
        return _find(self.retention.rules, "key", key, "retention rule")

    def rules_for(self, table: str) -> list[RetentionRule]:
        return [r for r in self.retention.rules if table in r.records]

    def purposes_for(self, table: str) -> list[Purpose]:
        return [self.purpose(p) for p in self.record(table).purposes]

    def recipient(self, key: str) -> Recipient:
        return _find(self.recipients, "key", key, "recipient")

    def recipients_for(self, purpose: str) -> list[Recipient]:
        return [r for r in self.recipients if purpose in r.purposes]

    def safeguard(self, key: str) -> Safeguard:
        return _find(self.safeguards, "key", key, "safeguard")

    def data_subject(self, key: str) -> DataSubject:
        return _find(self.data_subjects, "key", key, "data subject")

    def right(self, key: str) -> Right:
        return _find(self.rights.items, "key", key, "right")

    def extension_keys(self) -> frozenset[str]:
        return frozenset(e.key for e in self.extensions)

    def is_known_category(self, key: str) -> bool:
        """A fideslang data category or a declared extension."""
        return key in taxonomy.data_categories() or key in self.extension_keys()

    def record_covers(self, table: str, category: str) -> bool:
        """Whether the record declares `category` or one of its ancestors."""
        return taxonomy.covered_by(category, self.record(table).categories)

    def consent_purposes(self) -> list[Purpose]:
        return [p for p in self.purposes if p.legal_basis == "consent"]


def _find(items: tuple[Any, ...], attr: str, value: str, what: str) -> Any:
    for item in items:
        if getattr(item, attr) == value:
            return item
    raise PolicyError(f"no {what} '{value}' in the policy")
