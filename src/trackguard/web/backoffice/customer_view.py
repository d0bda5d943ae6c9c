"""A customer as one staff role may see them: each field in full, masked or withheld.

What a role sees comes from the role matrix (`roles.customer_access`): nothing hidden
is even decrypted. Before anything is read, the purpose gate is asked whether the
customer's data may be used for the purpose the view serves: a restriction or an
objection that stops it leaves the page with nothing but the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from trackguard.clock import as_utc
from trackguard.errors import VaultError
from trackguard.privacy.gate import can
from trackguard.privacy.requests.kinds import OPEN
from trackguard.privacy.requests.subjects import is_erased
from trackguard.runtime import Runtime
from trackguard.store.models import Customer, Device, Order, Payment, RightsRequest
from trackguard.web.backoffice import masking
from trackguard.web.backoffice.roles import (
    CUSTOMER_FIELDS,
    FIELDS_BY_KEY,
    FieldAccess,
    Visibility,
    customer_access,
)

LIST_FIELDS = frozenset({"devices", "orders", "payments"})
# A view lists at most this many devices, orders or payments (the newest).
MAX_ITEMS = 50


@dataclass(frozen=True)
class ShownField:
    key: str
    access: FieldAccess
    value: str | None = None  # a single value (full or masked)
    items: list[dict[str, Any]] = field(default_factory=list)  # a list field in full
    count: int | None = None  # a list field, masked: only how many

    @property
    def visibility(self) -> Visibility:
        return self.access.effective

    @property
    def on_file(self) -> bool:
        return self.value is not None or bool(self.items) or bool(self.count)


@dataclass(frozen=True)
class CustomerView:
    customer_id: str
    status: str
    erased: bool
    open_request: bool
    purpose: str | None  # what the view serves (None: nothing the role may see)
    refused: str | None  # the gate's reason when the purpose is not allowed now
    fields: list[ShownField]

    @property
    def categories(self) -> list[str]:
        """The categories this view actually showed (for its audit entry)."""
        shown = {c for f in self.fields if f.on_file for c in FIELDS_BY_KEY[f.key].categories}
        return sorted(shown)


def has_open_request(session: Session, customer_id: str) -> bool:
    query = select(
        exists().where(
            RightsRequest.customer_id == customer_id,
            RightsRequest.status.in_([s.value for s in OPEN]),
        )
    )
    return bool(session.scalar(query))


def customer_view(
    session: Session, runtime: Runtime, customer: Customer, role: str
) -> CustomerView:
    policy = runtime.policy
    open_request = has_open_request(session, customer.id)
    access = customer_access(policy, role, open_request=open_request)
    visible = [a for a in access.values() if a.effective is not Visibility.HIDDEN]
    erased = is_erased(customer)
    hidden = [ShownField(a.field, a) for a in access.values()]

    def made(purpose: str | None, refused: str | None, fields: list[ShownField]) -> CustomerView:
        return CustomerView(
            customer.id, customer.status, erased, open_request, purpose, refused, fields
        )

    if not visible or erased:
        return made(None, None, hidden)
    purpose = visible[0].purpose
    decision = can(session, policy, customer.id, purpose, at=as_utc(runtime.clock()))
    if not decision:
        return made(purpose, decision.reason, hidden)
    reader = _Reader(session, runtime, customer)
    return made(purpose, None, [reader.field(access[f.key]) for f in CUSTOMER_FIELDS])


class _Reader:
    """Reads (and decrypts) only the fields the role may see."""

    def __init__(self, session: Session, runtime: Runtime, customer: Customer) -> None:
        self.session, self.vault, self.customer = session, runtime.vault, customer

    def field(self, access: FieldAccess) -> ShownField:
        if access.effective is Visibility.HIDDEN:
            return ShownField(access.field, access)
        full = access.effective is Visibility.FULL
        if access.field in LIST_FIELDS:
            items = getattr(self, access.field)()
            if full:
                return ShownField(access.field, access, items=items)
            return ShownField(access.field, access, count=len(items) or None)
        value = self._value(access.field, full)
        if value is None:
            return ShownField(access.field, access)
        shown = value if full else masking.masked(FIELDS_BY_KEY[access.field].mask, value)
        return ShownField(access.field, access, value=shown)

    def _open(self, obj: object, column: str) -> str | None:
        try:
            return self.vault.unseal(self.session, obj, column)
        except VaultError:  # a destroyed key: nothing readable is left
            return None

    def _value(self, key: str, full: bool) -> str | None:
        if key == "language":
            return self.customer.language
        if key == "shipping_address":
            order = self._latest(Order, Order.placed_at, Order.shipping_address.is_not(None))
            return self._open(order, "shipping_address") if order is not None else None
        if key == "card":
            payment = self._latest(Payment, Payment.paid_at, Payment.card_brand.is_not(None))
            if payment is None or payment.card_brand is None:
                return None
            # Masked: the brand alone (masking.card); in full, brand and last four digits.
            if not full:
                return payment.card_brand
            return f"{payment.card_brand} •••• {payment.card_last4 or ''}".strip()
        if key == "iban":
            payment = self._latest(Payment, Payment.paid_at, Payment.iban.is_not(None))
            return self._open(payment, "iban") if payment is not None else None
        return self._open(self.customer, key)

    def _latest(self, model: Any, order_by: Any, condition: Any) -> Any:
        return self.session.scalar(
            select(model)
            .where(model.customer_id == self.customer.id, condition)
            .order_by(order_by.desc())
            .limit(1)
        )

    def devices(self) -> list[dict[str, Any]]:
        rows = self.session.scalars(
            select(Device)
            .where(Device.customer_id == self.customer.id)
            .order_by(Device.created_at)
            .limit(MAX_ITEMS)
        )
        return [
            {"name": d.name or "–", "armed": d.armed, "last_seen": d.last_seen_at} for d in rows
        ]

    def orders(self) -> list[dict[str, Any]]:
        rows = self.session.scalars(
            select(Order)
            .where(Order.customer_id == self.customer.id)
            .order_by(Order.placed_at.desc())
            .limit(MAX_ITEMS)
        )
        return [
            {
                "number": o.order_number,
                "placed": o.placed_at,
                "total": Money(o.total_cents, o.currency),
                "status": o.status,
            }
            for o in rows
        ]

    def payments(self) -> list[dict[str, Any]]:
        rows = self.session.scalars(
            select(Payment)
            .where(Payment.customer_id == self.customer.id)
            .order_by(Payment.paid_at.desc())
            .limit(MAX_ITEMS)
        )
        return [
            {"paid": p.paid_at, "amount": Money(p.amount_cents, "EUR"), "method": p.method}
            for p in rows
        ]


@dataclass(frozen=True)
class Money:
    """An amount as stored; the page writes it in the visitor's language (1.234,50 in Dutch)."""

    cents: int
    currency: str
