"""Master key rotation: re-wrap every data key, then swap the key file — in a crash-safe order.

1. Park the new key in `<key file>.new-<new id>` (fsynced, 0600) before touching
   the database, so whatever happens later the new key is on disk.
2. In the caller's transaction: lock the vault_meta row, re-wrap every live data
   key and the index key, and point vault_meta at the new key.
3. After the transaction commits (and only if the database really names the new
   key): link the current file to `<key file>.old-<old id>`, atomically replace
   the key file with the parked one, and delete the old copy unless asked to keep it.

A crash before 3 leaves the database on the old key (the parked file is unused)
or on the new key with the parked file beside it; `open_vault` finishes such an
interrupted swap on the next start. The key file is never missing or partial.

Deleting the old key is what makes keys destroyed before the rotation
unreadable in old database backups too; keep it only while you still need to
restore such a backup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, func, select, update
from sqlalchemy.orm import Session

from trackguard.clock import Clock
from trackguard.errors import KeyFileError, VaultError
from trackguard.store.models.keys import SubjectKey, VaultMeta
from trackguard.vault.envelope import (
    make_check_value,
    unwrap_data_key,
    wrap_data_key,
    wrap_index_key,
)
from trackguard.vault.keyfile import (
    MasterKey,
    install_pending_key,
    old_path,
    pending_path,
    write_key_file,
)
from trackguard.vault.masters import MasterKeys

BATCH = 1000


@dataclass(frozen=True)
class RotationReport:
    old_master_key_id: str
    new_master_key_id: str
    rewrapped: int  # live data keys re-wrapped (destroyed ones hold nothing to wrap)
    key_file: Path
    old_key_file: Path | None  # where the previous key is kept, when asked to keep it


@dataclass
class PendingRotation:
    """A rotation whose database part is done and whose file swap waits for the commit."""

    key_file: Path
    old: MasterKey
    new: MasterKey
    keep_old: bool

    @property
    def parked(self) -> Path:
        return pending_path(self.key_file, self.new.id)

    def park(self) -> None:
        write_key_file(self.parked, self.new, overwrite=True)

    def cancel(self) -> None:
        self.parked.unlink(missing_ok=True)

    def report(self, rewrapped: int) -> RotationReport:
        kept = old_path(self.key_file, self.old.id) if self.keep_old else None
        return RotationReport(self.old.id, self.new.id, rewrapped, self.key_file, kept)

    def finish(self, bind: Engine | Connection) -> bool:
        """Swap the key files if the database committed to the new key; False if it did not."""
        ask = select(VaultMeta.master_key_id).where(VaultMeta.id == 1)
        if isinstance(bind, Connection):  # a session bound to the caller's own connection
            committed = bind.scalar(ask)
        else:
            with bind.connect() as connection:
                committed = connection.scalar(ask)
        if committed != self.new.id:  # e.g. the re-wrap was inside a rolled-back savepoint
            self.cancel()
            return False
        try:
            install_pending_key(self.key_file, self.old.id, self.new.id, keep_old=self.keep_old)
        except OSError as exc:
            raise KeyFileError(
                f"the database now uses master key {self.new.id} but {self.key_file} could not "
                f"be replaced ({exc.strerror}); the new key is in {self.parked.name} and "
                "trackguard installs it on the next start"
            ) from None
        return True


def rewrap_all(
    session: Session,
    masters: MasterKeys,
    old: MasterKey,
    new: MasterKey,
    index_key: bytes,
    clock: Clock,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Re-wrap every live data key and the index key under `new`; returns the count."""
    # Locks the row first: key creation elsewhere waits for us (FOR SHARE on
    # PostgreSQL, the write lock on SQLite), so no key is wrapped by `old` after we scan.
    claimed = session.execute(
        update(VaultMeta)
        .where(VaultMeta.id == 1, VaultMeta.master_key_id == old.id)
        .values(master_key_id=VaultMeta.master_key_id)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise VaultError(
            "the database's master key is not the one this process holds (rotated elsewhere?): "
            "restart and try again"
        )
    live = SubjectKey.wrapped_key.is_not(None)
    total = session.scalar(select(func.count()).select_from(SubjectKey).where(live)) or 0
    done, last_id = 0, 0
    while True:
        rows = session.execute(
            select(
                SubjectKey.id,
                SubjectKey.subject_id,
                SubjectKey.key_class,
                SubjectKey.version,
                SubjectKey.wrapped_key,
                SubjectKey.master_key_id,
            )
            .where(live, SubjectKey.id > last_id)
            .order_by(SubjectKey.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        changes = []
        for key_id, subject, key_class, version, wrapped, master_id in rows:
            if wrapped is None:  # destroyed meanwhile; the query excludes them anyway
                continue
            data_key = unwrap_data_key(
                masters.get(master_id).cipher, wrapped, subject, key_class, version
            )
            changes.append(
                {
                    "id": key_id,
                    "wrapped_key": wrap_data_key(new.cipher, data_key, subject, key_class, version),
                    "master_key_id": new.id,
                }
            )
        session.execute(update(SubjectKey), changes)  # bulk UPDATE by primary key
        done, last_id = done + len(rows), rows[-1][0]
        if progress is not None:
            progress(done, total)
    session.execute(
        update(VaultMeta)
        .where(VaultMeta.id == 1)
        .values(
            master_key_id=new.id,
            check_value=make_check_value(new.cipher),
            wrapped_index_key=wrap_index_key(new.cipher, index_key),
            rotated_at=clock(),
        )
        .execution_options(synchronize_session=False)
    )
    return done
