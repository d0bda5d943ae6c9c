"""Wrapped per-subject data keys and the master-key check value."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from trackguard.store.base import AUTHENTICATION, Base, operational, personal, subject_link
from trackguard.store.types import BigIntegerId, UTCDateTime


class SubjectKey(Base):
    """One data key of one subject and retention class, wrapped by the master key.

    Destroying it (wrapped_key set to NULL) makes every ciphertext under it unreadable.
    """

    __tablename__ = "subject_keys"
    __table_args__ = (
        UniqueConstraint("subject_id", "key_class", "version"),
        {"info": {"subject_column": "subject_id"}},
    )

    id: Mapped[int] = mapped_column(BigIntegerId, primary_key=True, autoincrement=True)
    subject_id: Mapped[str] = personal("user.unique_id.pseudonymous", String(40), index=True)
    key_class: Mapped[str] = operational(String(20))
    version: Mapped[int] = operational(Integer, default=1)
    wrapped_key: Mapped[bytes | None] = operational(LargeBinary, category=AUTHENTICATION)
    master_key_id: Mapped[str] = operational(String(16))
    created_at: Mapped[datetime] = operational(UTCDateTime())
    destroyed_at: Mapped[datetime | None] = operational(UTCDateTime())


class VaultMeta(Base):
    """A single row (id 1): which master key the database's data keys are wrapped by.

    Its presence means the database has a vault: from then on trackguard refuses
    to start without the matching key file instead of making a new key.
    """

    __tablename__ = "vault_meta"
    __table_args__ = subject_link(None)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    master_key_id: Mapped[str] = operational(String(16))
    # AES-GCM of a fixed text under the master key: proves the key file is the right one.
    check_value: Mapped[bytes] = operational(LargeBinary, category=AUTHENTICATION)
    # The blind-index key, wrapped by the master key. A key of its own, not derived from
    # the master, so rotating the master leaves every stored blind index valid.
    wrapped_index_key: Mapped[bytes] = operational(LargeBinary, category=AUTHENTICATION)
    created_at: Mapped[datetime] = operational(UTCDateTime())
    rotated_at: Mapped[datetime | None] = operational(UTCDateTime())
    # Which change of tables' key classes the stored ciphertexts follow (NULL: the first
    # layout); see `privacy.retention.key_classes`.
    key_class_layout: Mapped[int | None] = operational(Integer)
