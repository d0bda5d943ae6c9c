"""AES-GCM fields: round trip, binding to table/column/row/subject, and corrupt input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from trackguard.errors import CiphertextError, KeyDestroyed, VaultError
from trackguard.store.engine import Database
from trackguard.store.models import Customer, Device, Position
from trackguard.tracking.positions import position_row_binding
from trackguard.vault import FLEET_SUBJECT, KEY_CLASSES, Vault
from trackguard.vault.envelope import MIN_FIELD_LEN

Place = Callable[..., dict[str, str]]
NOW = datetime(2026, 3, 1, tzinfo=UTC)


def test_text_and_bytes_round_trip(db: Database, vault: Vault, place: Place) -> None:
    with db.session() as session:
        text = vault.encrypt(session, "jan@example.nl", **place())
        raw = vault.encrypt(session, b"\x00\xff" * 40, **place(column="ip_address"))
        empty = vault.encrypt(session, "", **place(column="phone"))
    with db.session() as session:
        assert vault.decrypt_text(session, text, **place()) == "jan@example.nl"
        assert vault.decrypt(session, raw, **place(column="ip_address")) == b"\x00\xff" * 40
        assert vault.decrypt(session, empty, **place(column="phone")) == b""


def test_ciphertexts_never_repeat_and_hide_the_plaintext(
    db: Database, vault: Vault, place: Place
) -> None:
    with db.session() as session:
        first = vault.encrypt(session, "jan@example.nl", **place())
        second = vault.encrypt(session, "jan@example.nl", **place())
    assert first != second  # a fresh random nonce each time
    assert b"jan@example" not in first


@pytest.mark.parametrize(
    "moved",
    [
        {"row": "0" * 32},
        {"column": "phone"},
        {"table": "third_party_data"},
        {"subject": "d00d00d00d00d00d00d00d00d00d00d0"},
        {"key_class": "communications"},
    ],
    ids=lambda moved: next(iter(moved)),
)
def test_a_ciphertext_moved_elsewhere_does_not_decrypt(
    db: Database, vault: Vault, place: Place, moved: dict[str, str]
) -> None:
    with db.session() as session:
        blob = vault.encrypt(session, "jan@example.nl", **place())
        # Give the other subject/class a key, so the failure is the binding, not a missing key.
        vault.encrypt(session, "x", **place(**moved))
    with db.session() as session, pytest.raises(CiphertextError):
        vault.decrypt(session, blob, **place(**moved))


def test_relabelling_the_key_version_does_not_decrypt(
    db: Database, vault: Vault, place: Place
) -> None:
    with db.session() as session:
        blob = vault.encrypt(session, "jan@example.nl", **place())
        vault.renew_key(session, place()["subject"], "profile")
    relabelled = blob[:1] + (2).to_bytes(4, "big") + blob[5:]
    with db.session() as session, pytest.raises(CiphertextError):
        vault.decrypt(session, relabelled, **place())


@pytest.mark.parametrize(
    "damage",
    [
        lambda blob: blob[:-1],
        lambda blob: blob[: MIN_FIELD_LEN - 1],
        lambda blob: b"",
        lambda blob: blob[:-1] + bytes([blob[-1] ^ 1]),
        lambda blob: blob[:20] + bytes([blob[20] ^ 0x80]) + blob[21:],
        lambda blob: bytes([9]) + blob[1:],
        lambda blob: blob[:1] + b"\x00\x00\x00\x00" + blob[5:],
        lambda blob: blob[:1] + b"\x00\x00\x00\x07" + blob[5:],
        lambda blob: blob + b"\x00",
    ],
    ids=[
        "last-byte-cut",
        "too-short",
        "empty",
        "tag-flipped",
        "body-flipped",
        "unknown-format",
        "version-0",
        "unknown-version",
        "appended",
    ],
)
def test_corrupt_ciphertext_raises_ciphertext_error(
    db: Database, vault: Vault, place: Place, damage: Callable[[bytes], bytes]
) -> None:
    with db.session() as session:
        blob = vault.encrypt(session, "jan@example.nl", **place())
    with db.session() as session, pytest.raises(CiphertextError) as caught:
        vault.decrypt(session, damage(blob), **place())
    assert "jan@example" not in str(caught.value)


def test_non_bytes_ciphertext_is_a_ciphertext_error(
    db: Database, vault: Vault, place: Place
) -> None:
    with db.session() as session, pytest.raises(CiphertextError):
        vault.decrypt(session, "not bytes", **place())  # type: ignore[arg-type]


def test_decrypting_never_creates_a_key(db: Database, vault: Vault, place: Place) -> None:
    with db.session() as session:
        blob = vault.encrypt(session, "x", **place())
    with db.session() as session, pytest.raises(KeyDestroyed):
        vault.decrypt(session, blob, **place(subject="never-seen"))
    with db.session() as session:
        assert vault.current_key_version(session, "never-seen", "profile") is None


def test_unknown_key_class_and_bad_subjects_are_vault_errors(
    db: Database, vault: Vault, place: Place
) -> None:
    with db.session() as session:
        with pytest.raises(VaultError, match="unknown key class"):
            vault.encrypt(session, "x", **place(key_class="medical"))
        with pytest.raises(VaultError, match="at most 40"):
            vault.encrypt(session, "x", **place(subject="s" * 41))
        with pytest.raises(VaultError):
            vault.encrypt(session, "x", **place(table="customers\x00x"))
        with pytest.raises(VaultError):
            vault.encrypt(session, 42, **place())  # type: ignore[arg-type]
    assert set(KEY_CLASSES) == {
        "profile",
        "location",
        "communications",
        "correspondence",
        "financial",
    }


def test_a_key_created_in_a_rolled_back_transaction_is_not_kept(
    db: Database, vault: Vault, place: Place
) -> None:
    session = db.sessions()
    vault.encrypt(session, "lost", **place())
    session.rollback()
    session.close()
    with db.session() as session:
        blob = vault.encrypt(session, "kept", **place())
    # A fresh vault reads only what the database holds: the key behind `blob` must be there.
    fresh = Vault(
        key_file=vault.key_file, master=vault._masters.current, index_key=vault._index_key
    )
    with db.session() as session:
        assert fresh.decrypt_text(session, blob, **place()) == "kept"


def test_seal_binds_to_the_model_and_assigns_the_row_id(db: Database, vault: Vault) -> None:
    customer = Customer(created_at=NOW)
    with db.session() as session:
        vault.seal(session, customer, "email", "jan@example.nl")
        vault.seal(session, customer, "phone", None)
        assert customer.id is not None  # made before insert, so the ciphertext can bind to it
        session.add(customer)
    with db.session() as session:
        loaded = session.get(Customer, customer.id)
        assert loaded is not None
        assert vault.unseal(session, loaded, "email") == "jan@example.nl"
        assert vault.unseal(session, loaded, "phone") is None
        direct = vault.decrypt_text(
            session,
            loaded.email,
            subject=customer.id,
            key_class="profile",
            table="customers",
            column="email",
            row=customer.id,
        )
        assert direct == "jan@example.nl"


def test_seal_refuses_plain_columns_and_rows_without_ids(db: Database, vault: Vault) -> None:
    with db.session() as session:
        with pytest.raises(VaultError, match="not a vault-encrypted column"):
            vault.seal(session, Customer(created_at=NOW), "language", "nl")
        device = Device(imei_index="x", created_at=NOW)
        session.add(device)
        session.flush()
        position = Position(device_id=device.id, received_at=NOW, key_ref="fleet:1")
        with pytest.raises(VaultError, match="no id yet"):  # fix_time is half of its key
            vault.seal(session, position, "payload", b"fix")


def test_a_device_moves_from_the_fleet_key_to_its_customer(db: Database, vault: Vault) -> None:
    with db.session() as session:
        customer = Customer(created_at=NOW)
        vault.seal(session, customer, "email", "jan@example.nl")
        device = Device(imei_index=vault.blind_index("imei", "356938035643809"), created_at=NOW)
        vault.seal(session, device, "imei", "356938035643809")
        session.add_all([customer, device])
        session.flush()
        assert vault.unseal(session, device, "imei") == "356938035643809"

        device.customer_id = customer.id  # activation
        with pytest.raises(CiphertextError):
            vault.unseal(session, device, "imei")  # still under the fleet key
        assert vault.reseal(session, device, previous_subject=FLEET_SUBJECT) == 1
        assert vault.unseal(session, device, "imei") == "356938035643809"
        # Now the customer's key protects it: erasing the customer makes it unreadable.
        vault.destroy_keys(session, customer.id, ["profile"])
        with pytest.raises(KeyDestroyed):
            vault.unseal(session, device, "imei")


def test_positions_resolve_their_subject_through_the_device(db: Database, vault: Vault) -> None:
    with db.session() as session:
        customer = Customer(created_at=NOW)
        vault.seal(session, customer, "email", "jan@example.nl")
        device = Device(imei_index="i1", created_at=NOW)
        device.customer_id = customer.id
        session.add_all([customer, device])
        session.flush()
        position = Position(
            device_id=device.id, fix_time=NOW, received_at=NOW, key_ref="-", payload=b""
        )
        session.add(position)
        session.flush()
        vault.seal(session, position, "payload", b"52.1,5.3")
        assert (
            vault.decrypt(
                session,
                position.payload,
                subject=customer.id,
                key_class="location",
                table="positions",
                column="payload",
                row=position_row_binding(device.id, NOW),
            )
            == b"52.1,5.3"
        )
