"""Moving stored ciphertexts when a table changes key class.

Keys are crypto-shredded a whole class at a time, so the class a table is encrypted
under decides what erasure can keep. Layout 1 moved e-mails and complaints from
`communications` (destroyed by erasure, with chats and calls) to `correspondence`,
which erasure keeps because the policy holds them under a legal obligation. A
ciphertext binds its class, and moving it needs the master key, which migrations
never see; so this runs once the vault is open: every row of a moved table is opened
under its former class and sealed again under the class its model names now.

Rows are judged one by one: a row that already opens under its new class (written
after the upgrade) is left alone, so a move interrupted halfway, or one that runs
after new rows were written, is still right. `vault_meta.key_class_layout` records
when every subject is done; erasure moves its own subject first in any case.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from trackguard.errors import VaultError
from trackguard.store.engine import Database
from trackguard.store.models import Complaint, EmailMessage, VaultMeta
from trackguard.vault import Vault
from trackguard.vault.binding import column_attribute, encrypted_columns, place_of

log = logging.getLogger(__name__)

LAYOUT = 1
# The tables layout 1 moved, each with the key class it was encrypted under before.
MOVED: tuple[tuple[type[EmailMessage] | type[Complaint], str], ...] = (
    (EmailMessage, "communications"),
    (Complaint, "communications"),
)


@dataclass(frozen=True)
class Moved:
    fields: int = 0  # fields sealed under their new class
    unreadable: int = 0  # fields whose former key was destroyed before the move


def is_current(session: Session) -> bool:
    meta = session.get(VaultMeta, 1)
    return meta is not None and (meta.key_class_layout or 0) >= LAYOUT


def move_subject(session: Session, vault: Vault, subject: str) -> Moved:
    """Seal the subject's rows of the moved tables under their new class, in `session`."""
    fields = unreadable = 0
    for model, former in MOVED:
        rows = session.scalars(select(model).where(model.customer_id == subject)).all()
        for row in rows:
            for column in encrypted_columns(row):
                done = _move_field(session, vault, row, column, former)
                fields += done is True
                unreadable += done is None
    return Moved(fields, unreadable)


def _move_field(
    session: Session, vault: Vault, row: object, column: str, former: str
) -> bool | None:
    """True: moved; False: already under its new class (or empty); None: unreadable."""
    blob = getattr(row, column_attribute(row, column))
    if blob is None:
        return False
    try:
        vault.unseal_bytes(session, row, column)
        return False
    except VaultError:
        pass
    place = place_of(session, row, column)
    try:
        plain = vault.decrypt(
            session,
            blob,
            subject=place.subject,
            key_class=former,
            table=place.table,
            column=place.column,
            row=place.row,
        )
    except VaultError:  # its key destroyed by an erasure before the upgrade, as meant
        return None
    vault.seal(session, row, column, plain)
    return True


def move_key_classes(db: Database, vault: Vault) -> Moved:
    """Move every subject still on the former layout, one transaction per subject."""
    with db.session() as session:
        if is_current(session):
            return Moved()
        subjects: set[str] = set()
        for model, _ in MOVED:
            subjects.update(
                s for s in session.scalars(select(model.customer_id).distinct()) if s is not None
            )
    fields = unreadable = 0
    for subject in sorted(subjects):
        with db.session() as session:
            moved = move_subject(session, vault, subject)
        fields, unreadable = fields + moved.fields, unreadable + moved.unreadable
    with db.session() as session:
        meta = session.get(VaultMeta, 1)
        if meta is not None:
            meta.key_class_layout = LAYOUT
    if fields or unreadable:
        log.info(
            "key classes: %d fields moved to their new class, %d left unreadable (erased)",
            fields,
            unreadable,
        )
    return Moved(fields, unreadable)
