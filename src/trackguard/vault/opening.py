"""Unlocking the vault at start-up, and refusing to when the key file is not the right one.

The one rule: a new master key is made only for a database that holds nothing
encrypted. Against existing data a missing or wrong key file stops trackguard
with a message saying what to restore; a fresh key could never read that data,
and making one would only hide the loss until someone looks.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import cast

from sqlalchemy import Table, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import trackguard.store.models  # noqa: F401  (registers every table, for the data check)
from trackguard.clock import Clock, system_clock
from trackguard.errors import ConfigurationError, KeyFileError
from trackguard.store.base import Base
from trackguard.store.engine import Database
from trackguard.store.models.keys import SubjectKey, VaultMeta
from trackguard.vault.envelope import (
    DATA_KEY_LEN,
    check_value_matches,
    make_check_value,
    unwrap_index_key,
    wrap_index_key,
)
from trackguard.vault.keyfile import (
    MasterKey,
    install_pending_key,
    is_private,
    pending_path,
    read_key_file,
    write_key_file,
)
from trackguard.vault.vault import Vault

log = logging.getLogger("trackguard.vault")

_RESTORE = "restore the key file from backup; a new key cannot read existing data"


def open_vault(
    db: Database,
    key_file: Path,
    *,
    clock: Clock = system_clock,
    cache_size: int = 10_000,
    cache_ttl: float = 60.0,
) -> Vault:
    """The unlocked vault of `db`, creating key file and vault on an empty database only.

    Raises KeyFileError when the database has a vault (or encrypted data) and
    `key_file` is missing, unreadable or holds another key. Never writes a key
    file over an existing one.
    """
    if "vault_meta" not in inspect(db.engine).get_table_names():
        raise ConfigurationError("the database has no schema yet: run `trackguard db upgrade`")
    for attempt in (1, 2):
        try:
            with db.session() as session:
                meta = session.get(VaultMeta, 1)
                if meta is not None:
                    master = _master_for(meta, key_file)
                    index_key = unwrap_index_key(master.cipher, meta.wrapped_index_key)
                else:
                    master, index_key = _create_vault(session, key_file, clock)
        except IntegrityError:
            # Another process created the vault row at the same moment; use theirs.
            if attempt == 2:
                raise
            continue
        break
    if not is_private(key_file):
        log.warning("master key file %s is readable by other users: chmod 600 it", key_file)
    return Vault(
        key_file=key_file,
        master=master,
        index_key=index_key,
        clock=clock,
        cache_size=cache_size,
        cache_ttl=cache_ttl,
    )


def _master_for(meta: VaultMeta, key_file: Path) -> MasterKey:
    """The key file's key if it is the database's; finishes an interrupted rotation."""
    master = read_key_file(key_file)
    if master is not None and master.id == meta.master_key_id:
        if not check_value_matches(master.cipher, meta.check_value):
            raise KeyFileError(
                f"master key file {key_file} has the database's key id but fails its check "
                f"value (damaged file or database): {_RESTORE}"
            )
        return master
    parked = read_key_file(pending_path(key_file, meta.master_key_id))
    if (
        parked is not None
        and parked.id == meta.master_key_id
        and check_value_matches(parked.cipher, meta.check_value)
    ):
        # A rotation committed but crashed before swapping the files: finish it.
        kept = install_pending_key(
            key_file, master.id if master else None, parked.id, keep_old=True
        )
        log.warning(
            "finished an interrupted master key rotation: %s now holds key %s%s",
            key_file,
            parked.id,
            f"; the previous key is kept in {kept.name}" if kept else "",
        )
        return parked
    if master is None:
        raise KeyFileError(
            f"master key file {key_file} is missing, but this database's data is encrypted "
            f"under master key {meta.master_key_id}: {_RESTORE}"
        )
    raise KeyFileError(
        f"master key file {key_file} holds key {master.id}, but this database's data is "
        f"encrypted under master key {meta.master_key_id}: {_RESTORE}"
    )


def _create_vault(session: Session, key_file: Path, clock: Clock) -> tuple[MasterKey, bytes]:
    table = _table_with_data(session)
    if table is not None:
        raise KeyFileError(
            f"the database holds data (table {table}) but no vault record: refusing to set up "
            f"a vault with key file {key_file} for it; {_RESTORE}, or restore the whole database"
        )
    master = read_key_file(key_file)
    if master is None:
        master = _create_key_file(key_file)
    else:
        log.warning(
            "adopting existing master key file %s (key %s) for an empty database",
            key_file,
            master.id,
        )
    index_key = os.urandom(DATA_KEY_LEN)
    session.add(
        VaultMeta(
            id=1,
            master_key_id=master.id,
            check_value=make_check_value(master.cipher),
            wrapped_index_key=wrap_index_key(master.cipher, index_key),
            created_at=clock(),
        )
    )
    session.flush()
    return master, index_key


def _create_key_file(key_file: Path) -> MasterKey:
    master = MasterKey.generate()
    try:
        write_key_file(key_file, master, overwrite=False)
    except FileExistsError:
        # Another process starting at the same moment won; adopt its key.
        found = read_key_file(key_file)
        if found is None:
            raise KeyFileError(f"master key file {key_file} appeared and vanished") from None
        return found
    log.warning(
        "created master key file %s (key %s). Back it up now, apart from the database: "
        "losing it loses all encrypted data for good.",
        key_file,
        master.id,
    )
    return master


def _table_with_data(session: Session) -> str | None:
    """The first table holding data that a new key could not read (keys, ciphertexts)."""
    tables = [cast(Table, SubjectKey.__table__)] + [
        t for t in Base.metadata.sorted_tables if any(c.info.get("encrypted") for c in t.columns)
    ]
    for table in tables:
        if session.execute(select(1).select_from(table).limit(1)).first() is not None:
            return table.name
    return None
