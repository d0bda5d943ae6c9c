"""Planned rows (`gateway.packing`) as encrypted `positions` rows, and the insert of blocks.

Same ciphertexts the readers open (`tracking.positions`): AES-GCM under the
owner's location key, or the fleet key for a device nobody activated, bound to
`<device id>|<first fix time>`; a block's plaintext is `position_blocks.encode_block`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from trackguard.clock import as_utc
from trackguard.gateway.packing import PlannedRow
from trackguard.gateway.payloads import block_columns, block_payload, single_payload
from trackguard.store.models.tracking import Position
from trackguard.tracking.positions import (
    POSITION_COLUMN,
    POSITION_KEY_CLASS,
    POSITION_TABLE,
    PositionRow,
    position_key_ref,
)
from trackguard.vault import FLEET_SUBJECT, Vault

_POSITIONS = Position.metadata.tables[POSITION_TABLE]


class RowSealer:
    """Encrypts the rows of one transaction; asks each owner's key version once."""

    def __init__(self, session: Session, vault: Vault) -> None:
        self.session, self.vault = session, vault
        self._key_refs: dict[str | None, str] = {}

    def single(self, row: PlannedRow) -> PositionRow:
        report, received_at = row.fixes[0]
        payload = self._seal(row, single_payload(report))
        return PositionRow(
            row.device_id,
            as_utc(report.time),
            as_utc(received_at),
            self._key_ref(row.customer_id),
            payload,
        )

    def block(self, row: PlannedRow) -> dict[str, object]:
        """A block row of the row's fixes, as `insert_blocks` takes it."""
        payload = self._seal(row, block_payload(block_columns(row.fixes, row.times)))
        return {
            "device_id": row.device_id,
            "fix_time": _utc(row.first),
            "received_at": max(as_utc(received) for _, received in row.fixes),
            "key_ref": self._key_ref(row.customer_id),
            "payload": payload,
            "fixes": len(row.fixes),
        }

    def _seal(self, row: PlannedRow, plain: bytes) -> bytes:
        return self.vault.encrypt(
            self.session,
            plain,
            subject=FLEET_SUBJECT if row.customer_id is None else row.customer_id,
            key_class=POSITION_KEY_CLASS,
            table=POSITION_TABLE,
            column=POSITION_COLUMN,
            row=f"{row.device_id}|{row.first}+00:00",  # = positions.position_row_binding
        )

    def _key_ref(self, customer_id: str | None) -> str:
        """Asked after a seal, which may have made the owner's first key."""
        key_ref = self._key_refs.get(customer_id)
        if key_ref is None:
            subject = FLEET_SUBJECT if customer_id is None else customer_id
            version = self.vault.current_key_version(self.session, subject, POSITION_KEY_CLASS)
            key_ref = self._key_refs[customer_id] = position_key_ref(customer_id, version or 1)
        return key_ref


def insert_blocks(session: Session, rows: Sequence[dict[str, object]]) -> None:
    """Insert block rows in the session's transaction.

    A plain INSERT, not "or ignore": `packing.drop_stored` removed every fix already
    stored, so a conflict means another writer raced this one — the batch then fails
    and is not acked, rather than a whole block of fixes being silently dropped.
    """
    if rows:  # Core, not the ORM's bulk insert: a tenth of the Python work per row
        session.connection().execute(insert(_POSITIONS), list(rows))


def _utc(iso: str) -> datetime:
    return datetime.fromisoformat(iso).replace(tzinfo=UTC)
