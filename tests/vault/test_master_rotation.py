"""`rotate_master`: every data key re-wrapped, old data readable, the old key retired."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from trackguard.errors import KeyFileError, VaultError
from trackguard.store.engine import Database
from trackguard.store.models import SubjectKey, VaultMeta
from trackguard.vault import Vault, open_vault, rotation
from trackguard.vault.keyfile import MasterKey, old_path, pending_path, read_key_file

Place = Callable[..., dict[str, str]]
SUBJECTS = [f"{i:032x}" for i in range(5)]


def _seed(db: Database, vault: Vault, place: Place) -> dict[str, tuple[bytes, dict[str, str]]]:
    blobs = {}
    with db.session() as session:
        for subject in SUBJECTS:
            for key_class in ("profile", "location"):
                field = place(subject=subject, key_class=key_class, row=subject)
                blobs[f"{subject}/{key_class}"] = (
                    vault.encrypt(session, f"{subject}/{key_class}", **field),
                    field,
                )
        vault.destroy_keys(session, SUBJECTS[0], ["location"])
    return blobs


def test_rotation_rewraps_every_key_and_old_data_stays_readable(
    db: Database, vault: Vault, place: Place, key_file: Path
) -> None:
    blobs = _seed(db, vault, place)
    old_master = read_key_file(key_file)
    assert old_master is not None
    index = vault.blind_index("email", "jan@example.nl")
    with db.session() as session:
        report = vault.rotate_master(session)
        assert read_key_file(key_file).id == old_master.id  # type: ignore[union-attr]
    assert report.rewrapped == 2 * len(SUBJECTS) - 1  # the destroyed key has nothing to wrap
    assert report.old_master_key_id == old_master.id
    assert vault.master_key_id == report.new_master_key_id
    assert read_key_file(key_file).id == report.new_master_key_id  # type: ignore[union-attr]
    assert not pending_path(key_file, report.new_master_key_id).exists()
    assert not old_path(key_file, old_master.id).exists()  # retired once the swap succeeded
    with db.session() as session:
        live = session.scalars(
            select(SubjectKey.master_key_id).where(SubjectKey.wrapped_key.is_not(None))
        ).all()
        assert set(live) == {report.new_master_key_id}

    reopened = open_vault(db, key_file)
    assert reopened.blind_index("email", " Jan@Example.NL ") == index
    with db.session() as session:
        for name, (blob, field) in blobs.items():
            if name == f"{SUBJECTS[0]}/location":
                continue
            assert reopened.decrypt_text(session, blob, **field) == name


def test_the_old_key_no_longer_opens_the_database(
    db: Database, vault: Vault, place: Place, key_file: Path
) -> None:
    _seed(db, vault, place)
    saved = key_file.read_bytes()
    with db.session() as session:
        vault.rotate_master(session)
    key_file.write_bytes(saved)
    with pytest.raises(KeyFileError, match="restore the key file from backup"):
        open_vault(db, key_file)


def test_keep_old_keeps_the_previous_key_beside_the_new_one(
    db: Database, vault: Vault, key_file: Path
) -> None:
    before = vault.master_key_id
    with db.session() as session:
        report = vault.rotate_master(session, keep_old=True)
    assert report.old_key_file == old_path(key_file, before)
    assert read_key_file(report.old_key_file).id == before  # type: ignore[arg-type,union-attr]


def test_a_supplied_new_key_file_is_used(db: Database, vault: Vault, tmp_path: Path) -> None:
    from trackguard.vault.keyfile import write_key_file

    chosen = MasterKey.generate()
    write_key_file(tmp_path / "next.key", chosen, overwrite=False)
    with db.session() as session:
        report = vault.rotate_master(session, tmp_path / "next.key")
    assert report.new_master_key_id == chosen.id == vault.master_key_id
    with db.session() as session, pytest.raises(VaultError, match="already in use"):
        vault.rotate_master(session, tmp_path / "next.key")


def test_a_rolled_back_rotation_changes_nothing(
    db: Database, vault: Vault, place: Place, key_file: Path
) -> None:
    blobs = _seed(db, vault, place)
    before_file, before_id = key_file.read_bytes(), vault.master_key_id
    session = db.sessions()
    report = vault.rotate_master(session)
    assert pending_path(key_file, report.new_master_key_id).exists()  # parked before the commit
    session.rollback()
    session.close()
    assert key_file.read_bytes() == before_file
    assert vault.master_key_id == before_id
    assert not pending_path(key_file, report.new_master_key_id).exists()
    reopened = open_vault(db, key_file)
    blob, field = blobs[f"{SUBJECTS[1]}/profile"]
    with db.session() as session:
        assert reopened.decrypt_text(session, blob, **field) == f"{SUBJECTS[1]}/profile"


def test_a_crash_between_commit_and_file_swap_is_finished_on_next_start(
    db: Database, vault: Vault, place: Place, key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blobs = _seed(db, vault, place)
    old_id = vault.master_key_id

    def power_cut(*args: object, **kwargs: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(rotation, "install_pending_key", power_cut)
    with (
        pytest.raises(KeyFileError, match="installs it on the next start"),
        db.session() as session,
    ):
        vault.rotate_master(session)
    monkeypatch.undo()
    assert read_key_file(key_file).id == old_id  # type: ignore[union-attr]
    with db.session() as session:
        new_id = session.scalar(select(VaultMeta.master_key_id))
    assert new_id != old_id
    assert pending_path(key_file, new_id).exists()

    restarted = open_vault(db, key_file)
    assert restarted.master_key_id == new_id
    assert read_key_file(key_file).id == new_id  # type: ignore[union-attr]
    assert read_key_file(old_path(key_file, old_id)).id == old_id  # type: ignore[union-attr]
    blob, field = blobs[f"{SUBJECTS[2]}/location"]
    with db.session() as session:
        assert restarted.decrypt_text(session, blob, **field) == f"{SUBJECTS[2]}/location"


def test_another_process_follows_a_rotation(
    db: Database, vault: Vault, place: Place, key_file: Path
) -> None:
    blobs = _seed(db, vault, place)
    gateway = open_vault(db, key_file)  # started before the rotation, holds the old key
    with db.session() as session:
        report = vault.rotate_master(session)
    gateway.forget_cached_keys()
    blob, field = blobs[f"{SUBJECTS[3]}/profile"]
    with db.session() as session:
        # Unwrapping now needs the new key: the gateway reads it from the key file.
        assert gateway.decrypt_text(session, blob, **field) == f"{SUBJECTS[3]}/profile"
        # A key it creates is wrapped under the key the database uses now.
        gateway.encrypt(session, "new", **place(subject="new-subject", row="r"))
    with db.session() as session:
        master_id = session.scalar(
            select(SubjectKey.master_key_id).where(SubjectKey.subject_id == "new-subject")
        )
    assert master_id == report.new_master_key_id
    reopened = open_vault(db, key_file)
    with db.session() as session:
        reopened.encrypt(session, "x", **place(subject="new-subject", row="r"))


def test_a_key_created_by_a_process_with_a_stale_master_is_rewrapped(
    db: Database, vault: Vault, place: Place, key_file: Path
) -> None:
    stale = open_vault(db, key_file)
    with db.session() as session:
        report = vault.rotate_master(session)
    # `stale` still believes in the old master and has not needed a key since.
    with db.session() as session:
        blob = stale.encrypt(session, "late", **place(subject="late-subject", row="r"))
    assert stale.master_key_id == report.new_master_key_id
    reopened = open_vault(db, key_file)
    with db.session() as session:
        assert (
            reopened.decrypt_text(session, blob, **place(subject="late-subject", row="r")) == "late"
        )


def test_keys_created_in_the_rotating_transaction_follow_its_outcome(
    db: Database, vault: Vault, place: Place, key_file: Path
) -> None:
    old_id = vault.master_key_id
    field = place(subject="during", row="r")
    session = db.sessions()
    vault.rotate_master(session)
    vault.encrypt(session, "x", **field)
    session.rollback()
    session.close()
    assert vault.master_key_id == old_id
    with db.session() as session:
        blob = vault.encrypt(session, "after", **field)
    with db.session() as session:
        assert open_vault(db, key_file).decrypt_text(session, blob, **field) == "after"

    with db.session() as session:
        report = vault.rotate_master(session)
        blob = vault.encrypt(session, "with", **place(subject="during2", row="r"))
    assert vault.master_key_id == report.new_master_key_id
    with db.session() as session:
        wrapped_by = session.scalar(
            select(SubjectKey.master_key_id).where(SubjectKey.subject_id == "during2")
        )
        assert wrapped_by == report.new_master_key_id
        reopened = open_vault(db, key_file)
        assert reopened.decrypt_text(session, blob, **place(subject="during2", row="r")) == "with"
