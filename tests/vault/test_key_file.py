"""The master key file: made once for an empty database, never for existing data."""

from __future__ import annotations

import base64
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from trackguard.errors import ConfigurationError, KeyFileError
from trackguard.store.engine import Database
from trackguard.store.models import BusinessAccount, Customer, SubjectKey, VaultMeta
from trackguard.vault import open_vault
from trackguard.vault.keyfile import MasterKey, read_key_file, render, write_key_file

NOW = datetime(2026, 3, 1, tzinfo=UTC)
SUBJECT = "c0ffee00c0ffee00c0ffee00c0ffee00"
FIELD = {
    "subject": SUBJECT,
    "key_class": "profile",
    "table": "customers",
    "column": "email",
    "row": SUBJECT,
}


def test_first_start_creates_a_private_key_file_and_says_so(
    db: Database, key_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    vault = open_vault(db, key_file)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert read_key_file(key_file).id == vault.master_key_id  # type: ignore[union-attr]
    with db.session() as session:
        meta = session.get(VaultMeta, 1)
        assert meta is not None and meta.master_key_id == vault.master_key_id
    assert "losing it loses all encrypted data" in caplog.text
    secret = key_file.read_text().split("key ")[-1].strip()
    assert secret not in caplog.text


def test_restart_with_the_same_key_reads_the_data(db: Database, key_file: Path) -> None:
    first = open_vault(db, key_file)
    with db.session() as session:
        blob = first.encrypt(session, "jan@example.nl", **FIELD)
    before = key_file.read_bytes()
    again = open_vault(db, key_file)
    assert key_file.read_bytes() == before
    assert again.master_key_id == first.master_key_id
    assert again.blind_index("email", "a@b.nl") == first.blind_index("email", "a@b.nl")
    with db.session() as session:
        assert again.decrypt_text(session, blob, **FIELD) == "jan@example.nl"


def test_a_missing_key_file_refuses_and_creates_none(db: Database, key_file: Path) -> None:
    open_vault(db, key_file)
    key_file.unlink()
    with pytest.raises(KeyFileError) as caught:
        open_vault(db, key_file)
    message = str(caught.value)
    assert str(key_file) in message
    assert "restore the key file from backup; a new key cannot read existing data" in message
    assert not key_file.exists()
    assert list(key_file.parent.iterdir()) == []


def test_a_wrong_key_file_refuses_and_is_left_alone(db: Database, key_file: Path) -> None:
    open_vault(db, key_file)
    other = MasterKey.generate()
    write_key_file(key_file, other, overwrite=True)
    with pytest.raises(KeyFileError, match="restore the key file from backup"):
        open_vault(db, key_file)
    assert read_key_file(key_file).id == other.id  # type: ignore[union-attr]
    assert base64.b64encode(other.key).decode() not in repr(other)


def test_a_damaged_key_file_is_a_key_file_error_without_its_content(
    db: Database, key_file: Path
) -> None:
    open_vault(db, key_file)
    text = key_file.read_text()
    secret = text.split("key ")[-1].strip()
    key_file.write_text(text.replace(secret, secret[:-4] + "AAA="))
    with pytest.raises(KeyFileError) as caught:
        open_vault(db, key_file)
    assert secret[:-4] not in str(caught.value)
    key_file.write_text("hello\n")
    with pytest.raises(KeyFileError, match="not a trackguard master key file"):
        open_vault(db, key_file)


@pytest.mark.parametrize("table", ["customers", "subject_keys"])
def test_existing_data_without_a_vault_record_refuses(
    db: Database, key_file: Path, table: str
) -> None:
    with db.session() as session:
        if table == "customers":
            session.add(Customer(created_at=NOW))
        else:
            session.add(
                SubjectKey(
                    subject_id="s",
                    key_class="profile",
                    version=1,
                    wrapped_key=b"x",
                    master_key_id="0" * 16,
                    created_at=NOW,
                )
            )
    with pytest.raises(KeyFileError, match=f"table {table}"):
        open_vault(db, key_file)
    assert not key_file.exists()
    with db.session() as session:
        assert session.get(VaultMeta, 1) is None


def test_unencrypted_rows_alone_do_not_block_a_new_vault(db: Database, key_file: Path) -> None:
    with db.session() as session:
        session.add(BusinessAccount(company_name="Acme", created_at=NOW))
    open_vault(db, key_file)
    assert key_file.exists()


def test_an_existing_key_file_is_adopted_by_an_empty_database(db: Database, key_file: Path) -> None:
    master = MasterKey.generate()
    write_key_file(key_file, master, overwrite=False)
    vault = open_vault(db, key_file)
    assert vault.master_key_id == master.id
    with pytest.raises(FileExistsError):
        write_key_file(key_file, MasterKey.generate(), overwrite=False)  # never clobbers


def test_an_unmigrated_database_is_a_configuration_error(tmp_path: Path) -> None:
    db = Database.from_url(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        with pytest.raises(ConfigurationError, match="db upgrade"):
            open_vault(db, tmp_path / "master.key")
    finally:
        db.dispose()
    assert not (tmp_path / "master.key").exists()


def test_key_file_format_is_versioned_text(key_file: Path) -> None:
    master = MasterKey.generate()
    text = render(master)
    assert "trackguard-master-key 1" in text
    assert f"id {master.id}" in text
    write_key_file(key_file, master, overwrite=False)
    assert read_key_file(key_file).key == master.key  # type: ignore[union-attr]
    assert read_key_file(key_file.with_name("absent")) is None


def test_the_vault_record_stores_no_key_material(db: Database, key_file: Path) -> None:
    vault = open_vault(db, key_file)
    master = read_key_file(key_file)
    assert master is not None
    with db.session() as session:
        blob = vault.encrypt(session, "x", **FIELD)
    with db.session() as session:
        stored = session.execute(select(VaultMeta.check_value, VaultMeta.wrapped_index_key)).one()
        wrapped = session.scalars(select(SubjectKey.wrapped_key)).all()
    for value in [*stored, *wrapped, blob]:
        assert master.key not in value
