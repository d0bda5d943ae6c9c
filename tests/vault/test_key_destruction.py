"""Crypto-shredding: destroyed keys make their ciphertexts unreadable, and stay destroyed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from trackguard.errors import KeyDestroyed, VaultError
from trackguard.store.engine import Database
from trackguard.store.models import SubjectKey
from trackguard.vault import Vault, open_vault

Place = Callable[..., dict[str, str]]
JAN, PIET = "a" * 32, "b" * 32


def _fields(place: Place, subject: str) -> dict[str, dict[str, str]]:
    return {
        "profile": place(subject=subject, row=subject),
        "location": place(
            subject=subject, key_class="location", table="positions", column="payload", row="17"
        ),
        "financial": place(
            subject=subject, key_class="financial", table="payments", column="iban", row="p1"
        ),
    }


def test_destroyed_keys_make_old_ciphertexts_unreadable_and_spare_the_rest(
    db: Database, vault: Vault, place: Place
) -> None:
    jan, piet = _fields(place, JAN), _fields(place, PIET)
    with db.session() as session:
        blobs = {
            (s, c): vault.encrypt(session, f"{s}-{c}", **f[c])
            for s, f in ((JAN, jan), (PIET, piet))
            for c in f
        }
    with db.session() as session:
        assert vault.destroy_keys(session, JAN, ["profile", "location"]) == 2
    with db.session() as session:
        for key_class in ("profile", "location"):
            with pytest.raises(KeyDestroyed):
                vault.decrypt(session, blobs[JAN, key_class], **jan[key_class])
        # Kept under a legal obligation: the financial key survives the erasure.
        assert vault.decrypt_text(session, blobs[JAN, "financial"], **jan["financial"]) == (
            f"{JAN}-financial"
        )
        for key_class, field in piet.items():
            assert vault.decrypt_text(session, blobs[PIET, key_class], **field) == (
                f"{PIET}-{key_class}"
            )
        rows = session.execute(
            select(SubjectKey.key_class, SubjectKey.wrapped_key, SubjectKey.destroyed_at).where(
                SubjectKey.subject_id == JAN
            )
        ).all()
    destroyed = {c: (w, d) for c, w, d in rows}
    assert destroyed["profile"][0] is None and destroyed["profile"][1] is not None
    assert destroyed["financial"][0] is not None and destroyed["financial"][1] is None


def test_a_destroyed_subject_is_not_given_a_new_key_silently(
    db: Database, vault: Vault, place: Place
) -> None:
    field = place(subject=JAN, row=JAN)
    with db.session() as session:
        old = vault.encrypt(session, "before", **field)
        vault.destroy_keys(session, JAN, ["profile"])
    with db.session() as session, pytest.raises(KeyDestroyed, match="renew_key"):
        vault.encrypt(session, "after", **field)
    with db.session() as session:
        assert vault.renew_key(session, JAN, "profile") == 2
        new = vault.encrypt(session, "after", **field)
    with db.session() as session:
        assert vault.decrypt_text(session, new, **field) == "after"
        with pytest.raises(KeyDestroyed):
            vault.decrypt(session, old, **field)


def test_destruction_is_immediate_for_a_vault_that_had_the_key_cached(
    db: Database, vault: Vault, place: Place, key_file: Path
) -> None:
    field = place(subject=JAN, row=JAN)
    with db.session() as session:
        blob = vault.encrypt(session, "cached", **field)
        assert vault.decrypt_text(session, blob, **field) == "cached"
        assert vault.destroy_keys(session, JAN, ["profile"]) == 1
        with pytest.raises(KeyDestroyed):  # already inside the destroying transaction
            vault.decrypt(session, blob, **field)
    with db.session() as session, pytest.raises(KeyDestroyed):
        vault.decrypt(session, blob, **field)
    # Another process, opened afterwards, sees the same.
    other = open_vault(db, key_file)
    with db.session() as session, pytest.raises(KeyDestroyed):
        other.decrypt(session, blob, **field)


def test_another_process_notices_destruction_within_its_cache_ttl(
    db: Database, vault: Vault, place: Place, key_file: Path
) -> None:
    field = place(subject=JAN, row=JAN)
    other = open_vault(db, key_file, cache_ttl=1e-9)  # a gateway process with a warm cache
    with db.session() as session:
        blob = vault.encrypt(session, "x", **field)
    with db.session() as session:
        assert other.decrypt_text(session, blob, **field) == "x"
    with db.session() as session:
        vault.destroy_keys(session, JAN, ["profile"])
    with db.session() as session, pytest.raises(KeyDestroyed):
        other.decrypt(session, blob, **field)


def test_a_rolled_back_destruction_destroys_nothing(
    db: Database, vault: Vault, place: Place
) -> None:
    field = place(subject=JAN, row=JAN)
    with db.session() as session:
        blob = vault.encrypt(session, "kept", **field)
    session = db.sessions()
    assert vault.destroy_keys(session, JAN, ["profile"]) == 1
    session.rollback()
    session.close()
    with db.session() as session:
        assert vault.decrypt_text(session, blob, **field) == "kept"


def test_destroy_keys_counts_only_live_keys_and_checks_classes(
    db: Database, vault: Vault, place: Place
) -> None:
    with db.session() as session:
        vault.encrypt(session, "x", **place(subject=JAN, row=JAN))
        vault.renew_key(session, JAN, "profile")
    with db.session() as session:
        assert vault.destroy_keys(session, JAN, ["profile", "profile"]) == 2
        assert vault.destroy_keys(session, JAN, ["profile"]) == 0
        assert vault.destroy_keys(session, JAN, []) == 0
        assert vault.destroy_keys(session, "nobody", ["financial"]) == 0
        with pytest.raises(VaultError, match="unknown key class"):
            vault.destroy_keys(session, JAN, ["everything"])
