"""Whatever bytes reach decrypt, the answer is plaintext or a vault error, never garbage."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trackguard.errors import CiphertextError, KeyDestroyed
from trackguard.store.engine import Database
from trackguard.vault import Vault, open_vault

SUBJECT = "f" * 32
FIELD = {
    "subject": SUBJECT,
    "key_class": "location",
    "table": "positions",
    "column": "payload",
    "row": "42",
}
# The database is shared by every example: decrypt never writes, so that is sound.
SHARED = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def sealed(db: Database, key_file: Path) -> tuple[Vault, bytes]:
    vault = open_vault(db, key_file)
    with db.session() as session:
        blob = vault.encrypt(session, b"52.0907,5.1214", **FIELD)
        vault.renew_key(session, SUBJECT, "location")
        vault.destroy_keys(session, "gone", ["location"])
    return vault, blob


@SHARED
@given(data=st.binary(max_size=200))
def test_random_bytes_never_decrypt(db: Database, sealed: tuple[Vault, bytes], data: bytes) -> None:
    vault, _ = sealed
    with db.session() as session, pytest.raises((CiphertextError, KeyDestroyed)):
        vault.decrypt(session, data, **FIELD)


@SHARED
@given(
    prefix=st.sampled_from([b"\x01\x00\x00\x00\x01", b"\x01\x00\x00\x00\x02"]),
    rest=st.binary(min_size=28, max_size=120),
)
def test_well_formed_headers_with_random_bodies_never_decrypt(
    db: Database, sealed: tuple[Vault, bytes], prefix: bytes, rest: bytes
) -> None:
    vault, _ = sealed
    with db.session() as session, pytest.raises(CiphertextError):
        vault.decrypt(session, prefix + rest, **FIELD)


@SHARED
@given(
    position=st.integers(min_value=0),
    flip=st.integers(min_value=1, max_value=255),
    cut=st.booleans(),
)
def test_any_change_to_a_real_ciphertext_is_detected(
    db: Database, sealed: tuple[Vault, bytes], position: int, flip: int, cut: bool
) -> None:
    vault, blob = sealed
    at = position % len(blob)
    damaged = blob[:at] if cut else blob[:at] + bytes([blob[at] ^ flip]) + blob[at + 1 :]
    with db.session() as session, pytest.raises((CiphertextError, KeyDestroyed)):
        vault.decrypt(session, damaged, **FIELD)


@SHARED
@given(data=st.binary(max_size=80))
def test_random_bytes_for_a_destroyed_subject_never_decrypt(
    db: Database, sealed: tuple[Vault, bytes], data: bytes
) -> None:
    vault, _ = sealed
    with db.session() as session, pytest.raises((CiphertextError, KeyDestroyed)):
        vault.decrypt(session, data, **{**FIELD, "subject": "gone"})
