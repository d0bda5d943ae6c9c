"""The vault: per-subject data keys, AES-GCM field encryption, blind indexes, crypto-shredding.

Every method takes the caller's `Session`: on SQLite a second connection that
writes while the caller holds the write lock would dead-lock, so data keys are
read, created and destroyed inside the caller's transaction.

Key lifecycle (per subject and key class):

* `encrypt` creates version 1 on first use.
* `destroy_keys` erases every version; from then on `decrypt` raises KeyDestroyed,
  and so does `encrypt`: a destroyed subject is never silently given a new key.
  `renew_key` starts a new version on purpose (a returning customer, or the
  periodic rotation of the fleet key); older ciphertexts stay unreadable.

Caching: unwrapped keys are kept in a bounded LRU (see `keyring`). Keys this
transaction created or destroyed stay private to the session until it commits,
so a rolled-back creation never leaves a key in memory that the database lacks.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, SessionTransaction

from trackguard.clock import Clock, system_clock
from trackguard.errors import CiphertextError, KeyDestroyed, KeyFileError, VaultError
from trackguard.store.base import KEY_CLASSES
from trackguard.store.models.keys import SubjectKey, VaultMeta
from trackguard.vault import binding
from trackguard.vault.blind_index import BlindIndexer
from trackguard.vault.envelope import (
    DATA_KEY_LEN,
    DataKey,
    field_version,
    unwrap_data_key,
    wrap_data_key,
)
from trackguard.vault.keyfile import MasterKey, read_key_file
from trackguard.vault.keyring import KeyCache, RingKey, SubjectKeyring
from trackguard.vault.masters import MasterKeys
from trackguard.vault.rotation import PendingRotation, RotationReport, rewrap_all

SUBJECT_MAX_LEN = 40  # subject_keys.subject_id is String(40)
_MISSING: Any = object()


@dataclass
class _Uncommitted:
    """What this session's open transaction changed about keys, invisible to others until commit."""

    touched: set[RingKey] = field(default_factory=set)
    rings: dict[RingKey, SubjectKeyring] = field(default_factory=dict)
    rotation: PendingRotation | None = None


def _check_class(key_class: str) -> None:
    if key_class not in KEY_CLASSES:
        raise VaultError(f"unknown key class {key_class!r}: use one of {', '.join(KEY_CLASSES)}")


def _check_subject(subject: str) -> None:
    if not isinstance(subject, str) or not subject:
        raise VaultError("a subject is a non-empty string")
    if len(subject) > SUBJECT_MAX_LEN or "\x00" in subject:
        raise VaultError(f"a subject id is at most {SUBJECT_MAX_LEN} characters, without NUL")


class Vault:
    """Unlocked keys of one database. Build it with `open_vault`."""

    def __init__(
        self,
        *,
        key_file: Path,
        master: MasterKey,
        index_key: bytes,
        clock: Clock = system_clock,
        cache_size: int = 10_000,
        cache_ttl: float = 60.0,
    ) -> None:
        self.key_file = key_file
        self._masters = MasterKeys(key_file, master)
        self._index_key = index_key
        self._indexer = BlindIndexer(index_key)
        self._cache = KeyCache(cache_size, cache_ttl)
        self._clock = clock
        self._state_key = f"trackguard.vault.{id(self)}"

    def __repr__(self) -> str:
        return f"Vault(master_key_id={self.master_key_id}, key_file={self.key_file})"

    @property
    def master_key_id(self) -> str:
        return self._masters.current.id

    # -- fields ---------------------------------------------------------------------------

    def encrypt(
        self,
        session: Session,
        value: str | bytes,
        *,
        subject: str,
        key_class: str,
        table: str,
        column: str,
        row: str,
    ) -> bytes:
        """AES-GCM ciphertext of `value` under the subject's current key of `key_class`."""
        # Hot path (position ingest): the cache lookup of `_keyring`, inlined.
        state = session.info.get(self._state_key)
        ring_key, ring = (subject, key_class), None
        if state is None or ring_key not in state.touched:
            ring = self._cache.get(ring_key)
        if ring is None:
            ring = self._keyring(session, subject, key_class)
        key = ring.current
        if key is None:
            key = self._writable_keyring(session, subject, key_class).current
            assert key is not None
        if type(value) is bytes:
            return key.seal(value, table, column, row)
        if type(value) is str:
            return key.seal(value.encode(), table, column, row)
        if isinstance(value, bytearray | memoryview):
            return key.seal(bytes(value), table, column, row)
        raise VaultError(f"only text or bytes are encrypted, not {type(value).__name__}")

    def decrypt(
        self,
        session: Session,
        blob: bytes,
        *,
        subject: str,
        key_class: str,
        table: str,
        column: str,
        row: str,
    ) -> bytes:
        """The plaintext of `blob`, or CiphertextError / KeyDestroyed; never garbage."""
        version, blob = field_version(blob)
        state = session.info.get(self._state_key)
        ring_key, ring = (subject, key_class), None
        if state is None or ring_key not in state.touched:
            ring = self._cache.get(ring_key)  # hot path, as in `encrypt`
        if ring is None:
            ring = self._keyring(session, subject, key_class)
        key = ring.keys.get(version, _MISSING)
        if key is _MISSING:
            # Perhaps another process made this version after we cached the ring.
            ring = self._keyring(session, subject, key_class, refresh=True)
            key = ring.keys.get(version, _MISSING)
            if key is _MISSING and not ring.keys:
                raise KeyDestroyed(
                    f"subject {subject} has no {key_class} data key: it was destroyed and "
                    "removed, or never existed"
                )
            if key is _MISSING:
                raise CiphertextError(
                    f"ciphertext names {key_class} key version {version}, which subject "
                    f"{subject} never had (corrupt?)"
                )
        if key is None:
            raise KeyDestroyed(
                f"the {key_class} data key (v{version}) of subject {subject} was destroyed"
            )
        return key.open(blob, table, column, row)

    def decrypt_text(
        self,
        session: Session,
        blob: bytes,
        *,
        subject: str,
        key_class: str,
        table: str,
        column: str,
        row: str,
    ) -> str:
        data = self.decrypt(
            session,
            blob,
            subject=subject,
            key_class=key_class,
            table=table,
            column=column,
            row=row,
        )
        try:
            return data.decode()
        except UnicodeDecodeError:
            raise VaultError(f"{table}.{column} holds binary data, not text") from None

    # -- ORM objects ----------------------------------------------------------------------

    def seal(self, session: Session, obj: object, column: str, value: str | bytes | None) -> None:
        """Set `obj.<column>` to the ciphertext of `value` (None clears it).

        Table, row, subject and key class come from the model (see `binding`);
        a model whose ids are made in Python gets its id now, before insert.
        """
        attr = binding.column_attribute(obj, column)
        if value is None:
            setattr(obj, attr, None)
            return
        place = binding.place_of(session, obj, column)
        setattr(
            obj,
            attr,
            self.encrypt(
                session,
                value,
                subject=place.subject,
                key_class=place.key_class,
                table=place.table,
                column=place.column,
                row=place.row,
            ),
        )

    def unseal_bytes(self, session: Session, obj: object, column: str) -> bytes | None:
        blob = getattr(obj, binding.column_attribute(obj, column))
        if blob is None:
            return None
        place = binding.place_of(session, obj, column)
        return self.decrypt(
            session,
            blob,
            subject=place.subject,
            key_class=place.key_class,
            table=place.table,
            column=place.column,
            row=place.row,
        )

    def unseal(self, session: Session, obj: object, column: str) -> str | None:
        data = self.unseal_bytes(session, obj, column)
        if data is None:
            return None
        try:
            return data.decode()
        except UnicodeDecodeError:
            raise VaultError(f"column {column} holds binary data: use unseal_bytes") from None

    def reseal(self, session: Session, obj: object, *, previous_subject: str) -> int:
        """Re-encrypt `obj`'s encrypted columns from `previous_subject` to its subject now.

        Call it after changing who a row belongs to (activating a device moves it
        from the fleet to the customer). Returns how many fields were moved.
        """
        moved = 0
        for column in binding.encrypted_columns(obj):
            attr = binding.column_attribute(obj, column)
            blob = getattr(obj, attr)
            if blob is None:
                continue
            old = binding.place_of(session, obj, column, subject=previous_subject)
            plain = self.decrypt(
                session,
                blob,
                subject=old.subject,
                key_class=old.key_class,
                table=old.table,
                column=old.column,
                row=old.row,
            )
            self.seal(session, obj, column, plain)
            moved += 1
        return moved

    # -- blind indexes --------------------------------------------------------------------

    def blind_index(self, kind: str, value: str) -> str:
        """Keyed hash of the normalised `value` (e-mail: trimmed, lower case), as 64 hex digits."""
        return self._indexer.index(kind, value)

    # -- key lifecycle --------------------------------------------------------------------

    def destroy_keys(self, session: Session, subject: str, classes: Iterable[str]) -> int:
        """Crypto-shred: erase the subject's data keys of `classes`; returns how many.

        Everything encrypted under them is unreadable from the moment the caller
        commits, in backups and exports too (as long as those do not carry the
        master key that wrapped them; see `rotate_master`).
        """
        wanted = list(dict.fromkeys(classes))
        for key_class in wanted:
            _check_class(key_class)
        _check_subject(subject)
        if not wanted:
            return 0
        result = session.execute(
            update(SubjectKey)
            .where(
                SubjectKey.subject_id == subject,
                SubjectKey.key_class.in_(wanted),
                SubjectKey.wrapped_key.is_not(None),
            )
            .values(wrapped_key=None, destroyed_at=self._clock())
            .execution_options(synchronize_session=False)
        )
        state = self._uncommitted(session)
        for key_class in wanted:
            ring_key = (subject, key_class)
            state.touched.add(ring_key)
            state.rings.pop(ring_key, None)
            self._cache.discard(ring_key)
        return int(result.rowcount)  # type: ignore[attr-defined]

    def renew_key(self, session: Session, subject: str, key_class: str) -> int:
        """Start a new version of the subject's key of `key_class`; returns the version.

        The only way to encrypt again for a subject whose key was destroyed.
        """
        ring = self._keyring(session, subject, key_class, refresh=True)
        version = max(ring.keys, default=0) + 1
        self._create_key(session, subject, key_class, version, ring)
        return version

    def current_key_version(self, session: Session, subject: str, key_class: str) -> int | None:
        """The version new ciphertexts of this subject and class would use (None: no key yet)."""
        return self._keyring(session, subject, key_class).current_version

    def forget_cached_keys(self) -> None:
        """Drop every unwrapped data key from memory (they are unwrapped again on use)."""
        self._cache.clear()

    def rotate_master(
        self,
        session: Session,
        new_key_file: Path | None = None,
        *,
        keep_old: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> RotationReport:
        """Re-wrap every data key and the index key under a new master key.

        `new_key_file` supplies the new key (a file in key-file format); by default
        one is generated. Crash-safe order, documented in `rotation`:
        park the new key in `<key file>.new-<id>`, re-wrap in the caller's
        transaction, and only after it commits swap the key file (keeping the old
        one as `<key file>.old-<id>` until the swap succeeded, or for good with
        `keep_old`). The swap runs when the caller commits; until then nothing changes.
        """
        state = self._uncommitted(session)
        if state.rotation is not None:
            raise VaultError("a master key rotation is already pending in this transaction")
        old = self._masters.current
        if new_key_file is not None:
            new = read_key_file(new_key_file)
            if new is None:
                raise KeyFileError(f"new master key file {new_key_file} does not exist")
        else:
            new = MasterKey.generate()
        if new.id == old.id:
            raise VaultError("the new master key is the one already in use")
        pending = PendingRotation(self.key_file, old, new, keep_old=keep_old)
        pending.park()
        self._masters.remember(new)  # rows re-wrapped in this transaction must stay readable
        try:
            count = rewrap_all(
                session, self._masters, old, new, self._index_key, self._clock, progress
            )
        except BaseException:
            pending.cancel()
            raise
        state.rotation = pending
        return pending.report(count)

    # -- internals ------------------------------------------------------------------------

    def _uncommitted(self, session: Session) -> _Uncommitted:
        state = session.info.get(self._state_key)
        if state is None:
            state = session.info[self._state_key] = _Uncommitted()
            event.listen(session, "after_commit", self._after_commit)
            event.listen(session, "after_soft_rollback", self._after_soft_rollback)
        return state  # type: ignore[no-any-return]

    def _after_commit(self, session: Session) -> None:
        state: _Uncommitted | None = session.info.get(self._state_key)
        if state is None or session.in_nested_transaction():
            return  # a released savepoint: nothing is committed for others to see yet
        rings, touched, rotation = state.rings, state.touched, state.rotation
        state.rings, state.touched, state.rotation = {}, set(), None
        for ring_key in touched:
            self._cache.discard(ring_key)
        for ring_key, ring in rings.items():
            self._cache.put(ring_key, ring)
        if rotation is not None and rotation.finish(session.get_bind()):
            self._masters.adopt(rotation.new)
            self._cache.clear()

    def _after_soft_rollback(self, session: Session, previous: SessionTransaction) -> None:
        state: _Uncommitted | None = session.info.get(self._state_key)
        if state is None:
            return
        state.rings.clear()
        for ring_key in state.touched:
            self._cache.discard(ring_key)
        if previous.parent is None:  # the whole transaction is gone, not just a savepoint
            state.touched.clear()
            if state.rotation is not None:
                state.rotation.cancel()
                state.rotation = None

    def _keyring(
        self, session: Session, subject: str, key_class: str, *, refresh: bool = False
    ) -> SubjectKeyring:
        ring_key = (subject, key_class)
        state: _Uncommitted | None = session.info.get(self._state_key)
        if state is not None and ring_key in state.touched:
            ring = None if refresh else state.rings.get(ring_key)
            if ring is None:
                ring = state.rings[ring_key] = self._load(session, subject, key_class)
            return ring
        ring = None if refresh else self._cache.get(ring_key)
        if ring is None:
            ring = self._load(session, subject, key_class)
            self._cache.put(ring_key, ring)
        return ring

    def _load(self, session: Session, subject: str, key_class: str) -> SubjectKeyring:
        _check_class(key_class)
        _check_subject(subject)
        rows = session.execute(
            select(SubjectKey.version, SubjectKey.wrapped_key, SubjectKey.master_key_id).where(
                SubjectKey.subject_id == subject, SubjectKey.key_class == key_class
            )
        ).all()
        keys: dict[int, DataKey | None] = {}
        for version, wrapped, master_id in rows:
            if wrapped is None:
                keys[version] = None
                continue
            master = self._masters.get(master_id)
            raw = unwrap_data_key(master.cipher, wrapped, subject, key_class, version)
            keys[version] = DataKey(raw, subject, key_class, version)
        return SubjectKeyring.build(keys, self._cache.ttl)

    def _writable_keyring(self, session: Session, subject: str, key_class: str) -> SubjectKeyring:
        ring = self._keyring(session, subject, key_class, refresh=True)
        if ring.current is not None:
            return ring
        if ring.destroyed:
            raise KeyDestroyed(
                f"the {key_class} data key of subject {subject} was destroyed; "
                "call Vault.renew_key to start a new one on purpose"
            )
        return self._create_key(session, subject, key_class, 1, ring)

    def _create_key(
        self, session: Session, subject: str, key_class: str, version: int, ring: SubjectKeyring
    ) -> SubjectKeyring:
        _check_class(key_class)
        _check_subject(subject)
        master = self._masters.current
        data_key = os.urandom(DATA_KEY_LEN)
        statement = insert(SubjectKey).values(
            subject_id=subject,
            key_class=key_class,
            version=version,
            wrapped_key=wrap_data_key(master.cipher, data_key, subject, key_class, version),
            master_key_id=master.id,
            created_at=self._clock(),
        )
        state = self._uncommitted(session)
        ring_key = (subject, key_class)
        try:
            if session.get_bind().dialect.name == "postgresql":
                # A failed statement aborts a PostgreSQL transaction; the savepoint keeps
                # the caller's transaction usable when another session won the race.
                with session.begin_nested():
                    session.execute(statement)
            else:
                session.execute(statement)
        except IntegrityError:
            # Another session created this version first and has committed it: use theirs.
            state.touched.add(ring_key)
            ring = self._keyring(session, subject, key_class, refresh=True)
            if ring.keys.get(version) is None:
                raise VaultError(
                    f"could not create {key_class} key v{version} for subject {subject}"
                ) from None
            return ring
        self._confirm_master(session, master, subject, key_class, version, data_key)
        state.touched.add(ring_key)
        new_key = DataKey(data_key, subject, key_class, version)
        ring = SubjectKeyring.build({**ring.keys, version: new_key}, self._cache.ttl)
        state.rings[ring_key] = ring
        return ring

    def _confirm_master(
        self,
        session: Session,
        master: MasterKey,
        subject: str,
        key_class: str,
        version: int,
        data_key: bytes,
    ) -> None:
        """Make sure the new key is wrapped by the master the database uses now.

        FOR SHARE (PostgreSQL) waits for a rotation in progress and keeps one from
        starting before we commit; on SQLite we already hold the write lock. If
        another process rotated meanwhile, re-wrap under its key (read from disk).
        """
        current_id = session.execute(
            select(VaultMeta.master_key_id).where(VaultMeta.id == 1).with_for_update(read=True)
        ).scalar_one_or_none()
        if current_id is None:
            raise VaultError("the database has no vault: open it with open_vault first")
        if current_id == master.id:
            return
        newer = self._masters.get(current_id)
        rotation = self._uncommitted(session).rotation
        if rotation is None or rotation.new.id != current_id:
            # Another process rotated and committed; our own pending rotation only
            # becomes the vault's master when it commits (`_after_commit`).
            self._masters.adopt(newer)
        session.execute(
            update(SubjectKey)
            .where(
                SubjectKey.subject_id == subject,
                SubjectKey.key_class == key_class,
                SubjectKey.version == version,
            )
            .values(
                wrapped_key=wrap_data_key(newer.cipher, data_key, subject, key_class, version),
                master_key_id=newer.id,
            )
            .execution_options(synchronize_session=False)
        )
