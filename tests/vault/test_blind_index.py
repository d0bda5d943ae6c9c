"""Blind indexes: stable keyed hashes of normalised values, for look-ups on encrypted columns."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest

from trackguard.errors import VaultError
from trackguard.store.engine import Database
from trackguard.vault import Vault, open_vault
from trackguard.vault.blind_index import normalise
from trackguard.vault.keyfile import read_key_file


def test_email_index_ignores_case_and_surrounding_space(vault: Vault) -> None:
    index = vault.blind_index("email", "jan@example.nl")
    assert vault.blind_index("email", "  Jan@Example.NL\n") == index
    assert len(index) == 64 and int(index, 16) >= 0
    assert vault.blind_index("email", "jan@example.com") != index


def test_kinds_are_separate_and_other_kinds_keep_case(vault: Vault) -> None:
    assert vault.blind_index("email", "356938035643809") != vault.blind_index(
        "imei", "356938035643809"
    )
    assert vault.blind_index("imei", "35 6938 0356-43809") == vault.blind_index(
        "imei", "356938035643809"
    )
    assert vault.blind_index("name", "Jan") != vault.blind_index("name", "jan")
    assert normalise("name", "  Jan ") == "Jan"


def test_the_index_key_is_not_the_master_key(vault: Vault, key_file: Path) -> None:
    master = read_key_file(key_file)
    assert master is not None
    under_master = hmac.new(master.key, b"email\x00jan@example.nl", hashlib.sha256).hexdigest()
    assert vault.blind_index("email", "jan@example.nl") != under_master


def test_indexes_survive_a_master_rotation_and_differ_between_databases(
    db: Database, vault: Vault, key_file: Path, tmp_path: Path
) -> None:
    before = vault.blind_index("email", "jan@example.nl")
    with db.session() as session:
        vault.rotate_master(session)
    assert vault.blind_index("email", "jan@example.nl") == before
    assert open_vault(db, key_file).blind_index("email", "jan@example.nl") == before
    other_db = Database.from_url(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        from trackguard.store import migrate

        migrate.upgrade(other_db)
        other = open_vault(other_db, tmp_path / "other.key")
        assert other.blind_index("email", "jan@example.nl") != before
    finally:
        other_db.dispose()


@pytest.mark.parametrize("kind", ["", "Email", "e-mail", "x" * 41])
def test_bad_kinds_are_refused(vault: Vault, kind: str) -> None:
    with pytest.raises(VaultError):
        vault.blind_index(kind, "value")
