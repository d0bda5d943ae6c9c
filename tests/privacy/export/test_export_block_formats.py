"""The export of positions stored in binary blocks (format 2) is byte for byte the export
of the same fixes in JSON blocks (format 1), and what the list-based reading gives."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from trackguard.demo.seed import SeedReport
from trackguard.privacy.export import write_export
from trackguard.privacy.export.fix_arrays import FixArrays
from trackguard.privacy.export.positions_out import CSV_COLUMNS, ExportDevice, csv_rows
from trackguard.runtime import Runtime
from trackguard.store.models import AuditEntry, Device, ExportFile, Position
from trackguard.tracking.block_arrays import is_array_block
from trackguard.tracking.position_blocks import (
    FixColumns,
    decode_block,
    encode_binary_block,
    encode_block,
)
from trackguard.tracking.positions import (
    POSITION_COLUMN,
    POSITION_KEY_CLASS,
    POSITION_TABLE,
    PositionFix,
    encrypt_position,
    insert_positions,
    iso_of_stored,
    open_payload,
    open_rows,
    stored_row_columns,
    subject_of_key_ref,
)
from trackguard.vault import Vault

COMPARED = ("positions.csv", "tracks.gpx", "data.json")


def _members(runtime: Runtime, subject: str) -> dict[str, bytes]:
    """The export's members; its own traces (file row, audit entries) are removed after,
    so the next export starts from the same records and may be compared byte for byte."""
    with runtime.db.session() as session:
        last_seq = session.scalar(select(func.max(AuditEntry.seq))) or 0
    result = write_export(runtime, subject, lang="en")
    with zipfile.ZipFile(result.path) as zf:
        members = {name: zf.read(name) for name in COMPARED}
    result.path.unlink()
    with runtime.db.session() as session:
        session.execute(delete(ExportFile).where(ExportFile.id == result.export_id))
        session.execute(delete(AuditEntry).where(AuditEntry.seq > last_seq))
    return members


def _rewrite_blocks(runtime: Runtime, encode: Callable[[FixColumns], bytes]) -> int:
    """Every block row's plaintext encoded anew by `encode` (same fixes, key and binding)."""
    vault = runtime.vault
    rewritten = 0
    with runtime.db.session() as session:
        for device_id, time_iso, key_ref, fixes, plain in _block_plaintexts(session, vault):
            again = vault.encrypt(
                session,
                encode(decode_block(plain, fixes)),
                subject=subject_of_key_ref(key_ref),
                key_class=POSITION_KEY_CLASS,
                table=POSITION_TABLE,
                column=POSITION_COLUMN,
                row=f"{device_id}|{time_iso}+00:00",
            )
            session.execute(
                update(Position)
                .where(
                    Position.device_id == device_id,
                    Position.fix_time == datetime.fromisoformat(time_iso).replace(tzinfo=UTC),
                )
                .values(payload=again)
                .execution_options(synchronize_session=False)
            )
            rewritten += 1
    return rewritten


def _block_formats(runtime: Runtime) -> set[bool]:
    """Whether each block row is binary (format 2)."""
    with runtime.db.session() as session:
        return {is_array_block(row[-1]) for row in _block_plaintexts(session, runtime.vault)}


def _block_plaintexts(session: Session, vault: Vault) -> list[tuple[str, str, str, int, bytes]]:
    """(device id, fix time, key_ref, fixes, plaintext) of every block row."""
    dialect = session.get_bind().dialect.name
    rows = session.execute(
        select(Position.device_id, *stored_row_columns(dialect)).where(Position.fixes.is_not(None))
    ).all()
    found = []
    for device_id, stored_time, _, key_ref, fixes, payload in rows:
        time_iso = iso_of_stored(stored_time)
        plain = open_payload(session, vault, device_id, time_iso, key_ref, payload)
        found.append((device_id, time_iso, key_ref, fixes, plain))
    return found


def _add_late_singles(runtime: Runtime, subject: str) -> str:
    """A resent copy of a block's second fix and a late fix inside the same hour, as single
    rows of one of the subject's devices: the reading must sort and keep one per time."""
    vault = runtime.vault
    with runtime.db.session() as session:
        dialect = session.get_bind().dialect.name
        device_id, stored_time, _, key_ref, fixes, payload = session.execute(
            select(Position.device_id, *stored_row_columns(dialect))
            .join(Device, Device.id == Position.device_id)
            .where(Device.customer_id == subject, Position.fixes > 2)
            .order_by(Position.fix_time)
            .limit(1)
        ).one()
        time_iso = iso_of_stored(stored_time)
        block = decode_block(
            open_payload(session, vault, device_id, time_iso, key_ref, payload), fixes
        ).in_time_order()
        second = datetime.fromisoformat(block.time[1]).replace(tzinfo=UTC)
        late = second + (datetime.fromisoformat(block.time[2]).replace(tzinfo=UTC) - second) / 2
        fix = PositionFix(50.5, 6.25, 12.5, None, None, None, True, None, alarm="sos")
        rows = [
            encrypt_position(
                session,
                vault,
                device_id=device_id,
                customer_id=subject,
                fix_time=moment,
                received_at=moment + timedelta(minutes=5),
                fix=fix,
            )
            for moment in (second, late)
        ]
        insert_positions(session, rows)
    return str(device_id)


def _csv_of_lists(runtime: Runtime, subject: str) -> bytes:
    """positions.csv as the list-based reading (`open_rows`, `FixColumns.in_time_order`)
    gives it, each device's fixes at once."""
    vault = runtime.vault
    written = [(",".join(CSV_COLUMNS) + "\n").encode()]
    with runtime.db.session() as session:
        dialect = session.get_bind().dialect.name
        devices = session.scalars(
            select(Device).where(Device.customer_id == subject).order_by(Device.id)
        ).all()
        for device in devices:
            rows = [
                tuple(row)
                for row in session.execute(
                    select(*stored_row_columns(dialect)).where(Position.device_id == device.id)
                )
                if subject_of_key_ref(row[2]) == subject
            ]
            fixes = open_rows(session, vault, device.id, rows)  # type: ignore[arg-type]
            if len(fixes):
                label = (
                    device.name or f"{device.model or device.protocol or 'tracker'} {device.id[:8]}"
                )
                exported = ExportDevice(device.id, label, device.protocol)
                written.append(csv_rows(exported, FixArrays.of(fixes)))
    return b"".join(written)


def test_binary_blocks_export_byte_for_byte_as_json_blocks(
    runtime: Runtime, seeded: SeedReport
) -> None:
    subject = seeded.demo_customer_id
    assert subject is not None
    _add_late_singles(runtime, subject)
    assert _block_formats(runtime) == {True}  # the demo seed compacts as the server does
    binary = _members(runtime, subject)
    assert _rewrite_blocks(runtime, encode_block) > 0
    assert _block_formats(runtime) == {False}
    json_blocks = _members(runtime, subject)
    _rewrite_blocks(runtime, encode_binary_block)
    binary_again = _members(runtime, subject)
    for name in COMPARED:
        assert binary[name] == json_blocks[name] == binary_again[name], name
    assert binary["positions.csv"] == _csv_of_lists(runtime, subject)
