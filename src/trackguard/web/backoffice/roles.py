"""Who in the back office may see what: the role matrix, written down once as data. Pure.

Need to know, in two layers:

1. **Declared** (this module): which areas (pages) each staff role may enter, and for each
   field of a customer the most it may see of it — in full, masked (initials, `d***@…`),
   or not at all. These are the staff duties the statement implies: support answers
   questions and complaints, finance keeps the books, the privacy officer handles rights
   requests, the admin manages staff accounts and security.
2. **The policy's purposes** bound it: a role serves purposes of the policy, and looks
   at a customer for one of them (`customer_purpose`): support for customer service,
   finance for the legal bookkeeping duty, the privacy officer and the admin for privacy
   rights. A field whose categories that purpose does not cover is withheld, whatever
   the declaration says, so the back office never shows a category the policy does not
   process for that work. Other pages are audited under the first of the role's purposes
   that covers everything they showed.

Decisions beyond the brief, kept here so they are read with the matrix:

* Finance looks at customers under `legal_compliance`, not `administration`: the
  policy's administration purpose covers purchase history but no identity, card or
  bank data, while the statement's bookkeeping duty (keep financial records) covers
  exactly what finance needs.
* The admin serves `security` (staff accounts, the audit log) and, for the requests it
  may handle like an officer, `privacy_rights`: the customer view is that purpose's.

* The privacy officer sees a customer in full (as far as `privacy_rights` covers) only
  while that customer has an open rights request; otherwise masked like everyone else.
* The admin does everything a privacy officer does except the ID copies: neither reading
  nor reviewing them (a review without reading would be a rubber stamp). Whoever manages
  staff accounts thus never also sees identity documents.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from trackguard.errors import PolicyError
from trackguard.policy import Policy
from trackguard.policy.taxonomy import covered_by
from trackguard.store.base import Base
from trackguard.store.models import Customer, Device, Order, Payment
from trackguard.store.models.web import STAFF_ROLES


class Area(StrEnum):
    """A part of the back office; every route belongs to exactly one."""

    PUBLIC = "public"  # sign-in and sign-out: anyone
    HOME = "home"  # start page and the about-roles page: every staff role
    REQUESTS = "requests"  # rights-request queue, detail, extend/refuse/complete
    ID_COPIES = "id_copies"  # reading and reviewing ID copies
    COMPLAINTS = "complaints"
    RETENTION = "retention"  # retention reports and the dry run
    AUDIT = "audit"  # the audit log and its verification
    CUSTOMERS = "customers"  # customer search and the (masked) customer view
    STAFF = "staff"  # staff accounts
    ANALYTICS = "analytics"  # visitor statistics (web.analytics, aggregates only)


class Visibility(StrEnum):
    HIDDEN = "hidden"
    MASKED = "masked"
    FULL = "full"


_RANK = {Visibility.HIDDEN: 0, Visibility.MASKED: 1, Visibility.FULL: 2}


class Mask(StrEnum):
    """How a field is shown when masked (see `masking`)."""

    INITIAL = "initial"  # "D."
    EMAIL = "email"  # "d***@trackguard.example"
    PHONE = "phone"  # "••• 78"
    IBAN = "iban"  # "NL… 4300"
    CARD = "card"  # the brand only
    PRESENCE = "presence"  # only that something is on file


def _category(model: type[Base], column: str) -> str:
    return str(model.__table__.c[column].info["category"])


@dataclass(frozen=True)
class CustomerField:
    """One thing the customer view can show, and the categories showing it reveals."""

    key: str
    categories: tuple[str, ...]
    mask: Mask


def _customer_field(column: str, mask: Mask) -> CustomerField:
    return CustomerField(column, (_category(Customer, column),), mask)


# The customer view's fields, in display order; categories come from the models.
CUSTOMER_FIELDS: tuple[CustomerField, ...] = (
    _customer_field("first_name", Mask.INITIAL),
    _customer_field("last_name", Mask.INITIAL),
    _customer_field("email", Mask.EMAIL),
    _customer_field("phone", Mask.PHONE),
    _customer_field("language", Mask.PRESENCE),
    _customer_field("birth_date", Mask.PRESENCE),
    _customer_field("birthplace", Mask.PRESENCE),
    _customer_field("nationality", Mask.PRESENCE),
    _customer_field("billing_address", Mask.PRESENCE),
    _customer_field("postal_address", Mask.PRESENCE),
    _customer_field("ip_address", Mask.PRESENCE),
    _customer_field("browser_device_type", Mask.PRESENCE),
    CustomerField(
        "devices",
        tuple(sorted({_category(Device, c) for c in ("name", "armed", "last_seen_at")})),
        Mask.PRESENCE,
    ),
    CustomerField(
        "orders", (_category(Order, "placed_at"), _category(Order, "total_cents")), Mask.PRESENCE
    ),
    CustomerField("shipping_address", (_category(Order, "shipping_address"),), Mask.PRESENCE),
    CustomerField(
        "payments",
        tuple(sorted({_category(Payment, c) for c in ("paid_at", "amount_cents")})),
        Mask.PRESENCE,
    ),
    CustomerField("card", (_category(Payment, "card_last4"),), Mask.CARD),
    CustomerField("iban", (_category(Payment, "iban"),), Mask.IBAN),
)
FIELDS_BY_KEY: Mapping[str, CustomerField] = {f.key: f for f in CUSTOMER_FIELDS}

H, M, F = Visibility.HIDDEN, Visibility.MASKED, Visibility.FULL


@dataclass(frozen=True)
class RoleDuties:
    """One staff role: the purposes it serves, the areas it enters, what it may see."""

    role: str
    purposes: tuple[str, ...]  # policy purpose keys; the first is the role's own
    areas: frozenset[Area]
    fields: Mapping[str, Visibility]  # declared ceiling per customer field (absent: hidden)
    full_only_with_open_request: bool = False
    customer_purpose: str | None = None  # what it views customers for (default: its own)

    @property
    def viewing_purpose(self) -> str:
        return self.customer_purpose or self.purposes[0]

    def declared(self, field: str) -> Visibility:
        return self.fields.get(field, H)


_OFFICER_AREAS = frozenset(
    {Area.HOME, Area.REQUESTS, Area.RETENTION, Area.AUDIT, Area.CUSTOMERS, Area.ANALYTICS}
)
_EVERYTHING = {f.key: F for f in CUSTOMER_FIELDS}

ROLE_MATRIX: Mapping[str, RoleDuties] = {
    duty.role: duty
    for duty in (
        RoleDuties(
            "support",
            ("customer_service",),
            frozenset({Area.HOME, Area.CUSTOMERS, Area.COMPLAINTS}),
            {"first_name": M, "last_name": M, "email": M, "phone": M, "language": F, "devices": F},
        ),
        RoleDuties(
            "finance",
            ("legal_compliance",),
            frozenset({Area.HOME, Area.CUSTOMERS}),
            {"first_name": M, "last_name": M, "email": M, "iban": M}
            | {"orders": F, "payments": F, "card": F},
        ),
        RoleDuties(
            "privacy_officer",
            ("privacy_rights",),
            _OFFICER_AREAS | {Area.ID_COPIES},
            _EVERYTHING,
            full_only_with_open_request=True,
        ),
        RoleDuties(
            "admin",
            ("security", "privacy_rights"),
            _OFFICER_AREAS | {Area.STAFF},
            _EVERYTHING,
            full_only_with_open_request=True,
            customer_purpose="privacy_rights",
        ),
    )
}
assert tuple(ROLE_MATRIX) == STAFF_ROLES, "every staff role needs its duties"


def duties(role: str) -> RoleDuties:
    found = ROLE_MATRIX.get(role)
    if found is None:
        raise PolicyError(f"staff role '{role}' has no duties in the back office")
    return found


def may_enter(role: str | None, area: Area) -> bool:
    if area is Area.PUBLIC:
        return True
    duty = ROLE_MATRIX.get(role) if role is not None else None
    return duty is not None and area in duty.areas


def covers_field(policy: Policy, purpose: str, field: CustomerField) -> bool:
    categories = policy.purpose(purpose).categories
    return all(covered_by(c, categories) for c in field.categories)


@dataclass(frozen=True)
class FieldAccess:
    """What a role gets to see of one field, and why."""

    field: str
    declared: Visibility
    effective: Visibility
    purpose: str  # what the role views customers for
    covered: bool  # whether that purpose covers the field (else it is withheld)


def field_access(
    policy: Policy, role: str, field: str, *, open_request: bool = True
) -> FieldAccess:
    """The declared ceiling, lowered to hidden where the role's viewing purpose does not
    cover it, and to masked for the officer roles while the customer has no open request."""
    duty = duties(role)
    declared = duty.declared(field)
    purpose = duty.viewing_purpose
    covered = covers_field(policy, purpose, FIELDS_BY_KEY[field])
    effective = declared if covered else H
    if duty.full_only_with_open_request and not open_request and effective is F:
        effective = M
    return FieldAccess(field, declared, effective, purpose, covered)


def customer_access(
    policy: Policy, role: str, *, open_request: bool = True
) -> dict[str, FieldAccess]:
    return {
        f.key: field_access(policy, role, f.key, open_request=open_request) for f in CUSTOMER_FIELDS
    }


def audit_purpose(policy: Policy, role: str, categories: Iterable[str]) -> str:
    """The purpose a view is recorded under: the first of the role's purposes covering
    every category shown. PolicyError if none does (a view the policy does not allow)."""
    shown = sorted(set(categories))
    for key in duties(role).purposes:
        if all(covered_by(c, policy.purpose(key).categories) for c in shown):
            return key
    raise PolicyError(f"no purpose of the {role} role covers the categories {', '.join(shown)}")


def check_policy(policy: Policy) -> None:
    """Every purpose the matrix names exists in the policy (PolicyError otherwise)."""
    for duty in ROLE_MATRIX.values():
        for key in (*duty.purposes, duty.viewing_purpose):
            policy.purpose(key)


def at_least(visibility: Visibility, wanted: Visibility) -> bool:
    return _RANK[visibility] >= _RANK[wanted]
