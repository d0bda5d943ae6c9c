"""What the vault looks like, read without unlocking or creating anything (`keys status`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import case, func, inspect, select

from trackguard.errors import KeyFileError
from trackguard.store.base import KEY_CLASSES
from trackguard.store.engine import Database
from trackguard.store.models.keys import SubjectKey, VaultMeta
from trackguard.vault.envelope import check_value_matches
from trackguard.vault.keyfile import read_key_file


@dataclass(frozen=True)
class KeyCounts:
    live: int = 0
    destroyed: int = 0


@dataclass(frozen=True)
class VaultStatus:
    key_file: Path
    # "ok", "missing", "wrong key", "unreadable", or "no vault yet" (made on first start)
    key_file_state: str
    master_key_id: str | None
    created_at: datetime | None
    rotated_at: datetime | None
    keys: dict[str, KeyCounts] = field(default_factory=dict)
    # `.old-<id>` / `.new-<id>` files left beside the key file by rotations
    leftovers: list[Path] = field(default_factory=list)


def vault_status(db: Database, key_file: Path) -> VaultStatus:
    leftovers = (
        sorted(
            p
            for p in key_file.parent.glob(f"{key_file.name}.*-*")
            if p.name.split(".")[-1].startswith(("old-", "new-"))
        )
        if key_file.parent.is_dir()
        else []
    )
    counts = {key_class: KeyCounts() for key_class in KEY_CLASSES}
    if "vault_meta" not in inspect(db.engine).get_table_names():
        return VaultStatus(key_file, "no vault yet", None, None, None, counts, leftovers)
    with db.session() as session:
        meta = session.get(VaultMeta, 1)
        destroyed = SubjectKey.wrapped_key.is_(None)
        rows = session.execute(
            select(
                SubjectKey.key_class,
                func.sum(case((destroyed, 0), else_=1)),
                func.sum(case((destroyed, 1), else_=0)),
            ).group_by(SubjectKey.key_class)
        ).all()
    counts.update({key_class: KeyCounts(int(live), int(dead)) for key_class, live, dead in rows})
    if meta is None:
        return VaultStatus(key_file, "no vault yet", None, None, None, counts, leftovers)
    return VaultStatus(
        key_file,
        _key_file_state(key_file, meta),
        meta.master_key_id,
        meta.created_at,
        meta.rotated_at,
        counts,
        leftovers,
    )


def _key_file_state(key_file: Path, meta: VaultMeta) -> str:
    try:
        master = read_key_file(key_file)
    except KeyFileError:
        return "unreadable"
    if master is None:
        return "missing"
    if master.id != meta.master_key_id or not check_value_matches(master.cipher, meta.check_value):
        return "wrong key"
    return "ok"
