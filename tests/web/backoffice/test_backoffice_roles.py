"""The role matrix under the shipped policy, and the masks. Pure: no database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trackguard.errors import PolicyError
from trackguard.policy import load_policy, packaged_policy_path
from trackguard.web.backoffice import masking
from trackguard.web.backoffice.roles import (
    CUSTOMER_FIELDS,
    ROLE_MATRIX,
    Area,
    Mask,
    Visibility,
    audit_purpose,
    check_policy,
    customer_access,
    may_enter,
)

POLICY = load_policy(packaged_policy_path())
H, M, F = Visibility.HIDDEN, Visibility.MASKED, Visibility.FULL


def seen(role: str, *, open_request: bool = True) -> dict[str, Visibility]:
    access = customer_access(POLICY, role, open_request=open_request)
    return {key: a.effective for key, a in access.items()}


def test_every_purpose_the_matrix_names_is_in_the_policy() -> None:
    check_policy(POLICY)


def test_only_the_privacy_officer_handles_id_copies_and_only_the_admin_staff() -> None:
    assert [r for r in ROLE_MATRIX if may_enter(r, Area.ID_COPIES)] == ["privacy_officer"]
    assert [r for r in ROLE_MATRIX if may_enter(r, Area.STAFF)] == ["admin"]
    assert [r for r in ROLE_MATRIX if may_enter(r, Area.COMPLAINTS)] == ["support"]
    for area in Area:
        assert may_enter(None, area) is (area is Area.PUBLIC)
        assert may_enter("customer", area) is (area is Area.PUBLIC)


def test_support_sees_a_masked_identity_and_no_address_birth_date_or_bank_account() -> None:
    support = seen("support")
    assert (support["first_name"], support["last_name"], support["email"]) == (M, M, M)
    for field in ("billing_address", "postal_address", "birth_date", "iban", "card", "orders"):
        assert support[field] is H, field


def test_finance_sees_orders_and_payments_with_a_masked_identity() -> None:
    finance = seen("finance")
    assert (finance["orders"], finance["payments"], finance["card"]) == (F, F, F)
    assert (finance["first_name"], finance["email"], finance["iban"]) == (M, M, M)
    assert finance["billing_address"] is H and finance["devices"] is H


def test_the_officer_sees_in_full_only_what_privacy_rights_covers_and_only_with_a_request() -> None:
    officer = customer_access(POLICY, "privacy_officer")
    assert {k for k, a in officer.items() if a.effective is F} == {
        "first_name", "last_name", "email"
    }  # fmt: skip
    # Declared in full, withheld because the purpose does not cover the category.
    assert officer["birth_date"].declared is F and officer["birth_date"].effective is H
    assert not officer["birth_date"].covered
    without = seen("privacy_officer", open_request=False)
    assert (without["first_name"], without["email"]) == (M, M)
    assert seen("admin") == seen("privacy_officer")


def test_every_shown_field_is_covered_by_the_purpose_the_role_views_customers_for() -> None:
    for role in ROLE_MATRIX:
        shown = [f for f in CUSTOMER_FIELDS if seen(role)[f.key] is not H]
        purpose = customer_access(POLICY, role)["email"].purpose
        categories = {c for f in shown for c in f.categories}
        assert audit_purpose(POLICY, role, categories) == purpose, role


def test_a_view_no_purpose_of_the_role_covers_is_refused() -> None:
    with pytest.raises(PolicyError):
        audit_purpose(POLICY, "support", ["user.government_id"])
    assert audit_purpose(POLICY, "admin", ["user.unique_id.pseudonymous"]) == "security"
    assert audit_purpose(POLICY, "admin", ["user.privacy_preferences"]) == "privacy_rights"


def test_the_masks_keep_a_hint_and_drop_the_rest() -> None:
    assert masking.email("daan.devries@trackguard.example") == "d***@trackguard.example"
    assert masking.initial(" jan ") == "J."
    assert masking.last_digits("+31 6 1234 5678") == "••• 78"
    assert masking.iban("NL91 ABNA 0417 1643 00") == "NL… 4300"
    assert masking.masked(Mask.CARD, "Visa") == "Visa •••"
    assert masking.masked(Mask.PRESENCE, "Dorpsstraat 1") == "•••"
    assert masking.masked(Mask.EMAIL, None) is None


MASK_CHARACTERS = "•…*"


@given(
    st.text(min_size=3).filter(
        lambda s: len(s.strip()) >= 3 and not any(c in s for c in MASK_CHARACTERS)
    )
)
def test_no_mask_contains_the_value_it_masks(value: str) -> None:
    for kind in (Mask.INITIAL, Mask.PHONE, Mask.IBAN, Mask.PRESENCE):
        shown = masking.masked(kind, value)
        assert shown is None or value.strip() not in shown, kind
    address = f"{value.strip()}@example.nl"
    assert address not in (masking.masked(Mask.EMAIL, address) or "")
