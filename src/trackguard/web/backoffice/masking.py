"""Masked forms of personal values: enough to recognise, too little to reuse. Pure.

A masked value never contains the value itself: an e-mail address keeps its first
letter and domain, a name its initial, a phone number or IBAN its last digits, and
the rest only says that something is on file.
"""

from __future__ import annotations

from trackguard.web.backoffice.roles import Mask

HIDDEN_MARK = "•••"


def initial(name: str) -> str:
    cleaned = name.strip()
    return f"{cleaned[0].upper()}." if cleaned else ""


def email(address: str) -> str:
    local, at, domain = address.strip().partition("@")
    if not at or not local:
        return HIDDEN_MARK
    return f"{local[0]}***@{domain}"


def last_digits(value: str, keep: int = 2) -> str:
    digits = [c for c in value if c.isdigit()]
    if len(digits) <= keep * 2:
        return HIDDEN_MARK
    return f"{HIDDEN_MARK} {''.join(digits[-keep:])}"


def iban(value: str) -> str:
    compact = value.replace(" ", "").upper()
    if len(compact) < 10:
        return HIDDEN_MARK
    return f"{compact[:2]}… {compact[-4:]}"


def card(brand: str | None) -> str:
    return f"{brand} {HIDDEN_MARK}" if brand else HIDDEN_MARK


def masked(kind: Mask, value: str | None) -> str | None:
    """`value` masked as `kind`; None stays None (nothing on file)."""
    if value is None or value == "":
        return None
    if kind is Mask.INITIAL:
        return initial(value)
    if kind is Mask.EMAIL:
        return email(value)
    if kind is Mask.PHONE:
        return last_digits(value)
    if kind is Mask.IBAN:
        return iban(value)
    if kind is Mask.CARD:
        return card(value)
    return HIDDEN_MARK
