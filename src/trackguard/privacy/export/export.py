"""write_export: the subject's access or portability ZIP, recorded and audited.

Reading happens in one transaction (REPEATABLE READ on PostgreSQL, so data.json,
positions.csv and the index describe one moment); the ExportFile row and the
audit entry are written in a second one, after the file is complete and renamed.
If that second transaction fails the file is removed again: an export nobody
recorded must not linger.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TextIO, get_args
from zipfile import ZipFile

from sqlalchemy import select
from sqlalchemy.orm import Session

from trackguard.errors import NotFound, TrackguardError
from trackguard.policy import Policy
from trackguard.policy.taxonomy import is_personal
from trackguard.privacy.audit import AuditLog
from trackguard.privacy.export.archive import ExportArchive
from trackguard.privacy.export.background_write import BackgroundWriter
from trackguard.privacy.export.collect import (
    FILES_DIR,
    Held,
    RecordWriter,
    current_consents,
    record_header,
    write_blobs,
)
from trackguard.privacy.export.gpx import GpxWriter
from trackguard.privacy.export.index_page import labels, render_index
from trackguard.privacy.export.positions_out import (
    ExportDevice,
    PositionCounts,
    export_positions,
)
from trackguard.privacy.export.values import iso_utc
from trackguard.runtime import Runtime
from trackguard.store.models import ConsentEvent, Customer, Device, ExportFile, RightsRequest
from trackguard.store.subject_tables import SubjectTable, subject_tables
from trackguard.tracking.positions import POSITION_TABLE

ExportKind = Literal["access", "portability"]
EXPORT_KINDS: tuple[str, ...] = get_args(ExportKind)
FORMAT_VERSION = 1
AUDIT_PURPOSE = "privacy_rights"
# GDPR Art. 20(1): portability covers data the subject provided (given directly, or
# observed from their use), processed on the basis of consent or a contract.
PORTABLE_BASES = ("consent", "contract")
PROVIDED_BY_SUBJECT = ("direct", "automatic")
# data.json gives these records their own top-level sections.
CONSENTS = ConsentEvent.__tablename__
REQUESTS = RightsRequest.__tablename__


@dataclass(frozen=True)
class ExportResult:
    path: Path
    size_bytes: int
    sha256: str
    counts: dict[str, int] = field(default_factory=dict)  # record (table) -> rows exported
    kind: str = "access"
    lang: str = "nl"
    export_id: str = ""  # the ExportFile row


def portable(policy: Policy, table: str) -> bool:
    """Whether a record belongs in a portability export (see PORTABLE_BASES)."""
    record = policy.record(table)
    if not any(policy.purpose(p).legal_basis in PORTABLE_BASES for p in record.purposes):
        return False
    return bool(record.categories) and all(
        set(policy.category(c).collected) & set(PROVIDED_BY_SUBJECT) for c in record.categories
    )


def write_export(
    runtime: Runtime,
    customer_id: str,
    *,
    kind: ExportKind = "access",
    lang: str | None = None,
    request_id: str | None = None,
    actor: str = "system",
    role: str = "system",
) -> ExportResult:
    """Write the subject's export ZIP under `exports_dir`, record it and audit it."""
    if kind not in EXPORT_KINDS:
        raise TrackguardError(f"unknown export kind '{kind}' (use access or portability)")
    policy = runtime.policy
    policy.purpose(AUDIT_PURPOSE)  # the policy must know why we read everything
    tables = [
        t
        for t in subject_tables()
        if policy.has_record(t.name) and (kind == "access" or portable(policy, t.name))
    ]
    with runtime.db.sessions() as session, ExportArchive(runtime.settings.exports_dir) as archive:
        with session.begin():
            _consistent_snapshot(session)
            customer = session.get(Customer, customer_id)
            if customer is None:
                raise NotFound("no customer with that id")
            language = _language(policy, lang, customer.language)
            made_at = runtime.clock()
            build = _Build(session, runtime, policy, customer_id, language, kind, archive)
            counts, held = build.write(tables, made_at)
        size, sha256 = archive.seal()
        path = archive.publish()
        with session.begin():
            row = ExportFile(
                request_id=request_id,
                customer_id=customer_id,
                file_name=archive.file_name,
                size_bytes=size,
                sha256=sha256,
                created_at=made_at,
            )
            session.add(row)
            AuditLog(runtime.clock).append(
                session,
                actor=actor,
                role=role,
                purpose=AUDIT_PURPOSE,
                subject_id=customer_id,
                categories=sorted({c for h in held for c in h.categories}),
                action=f"export.{kind}",
            )
            session.flush()
            export_id = row.id
    return ExportResult(path, size, sha256, counts, kind, language, export_id)


def _consistent_snapshot(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def _language(policy: Policy, asked: str | None, preferred: str | None) -> str:
    languages = policy.policy.languages
    if asked is not None:
        if asked not in languages:
            raise TrackguardError(f"unsupported language '{asked}' (use {', '.join(languages)})")
        return asked
    return preferred if preferred in languages else languages[0]


def _text_member(zf: ZipFile, name: str) -> TextIO:
    return io.TextIOWrapper(zf.open(name, "w", force_zip64=True), encoding="utf-8", newline="")


class _Build:
    """One export's members, written in the order a ZIP allows (one open member at a time):
    blobs, positions (CSV, GPX spooled beside), data.json, index.html."""

    def __init__(
        self,
        session: Session,
        runtime: Runtime,
        policy: Policy,
        subject_id: str,
        lang: str,
        kind: str,
        archive: ExportArchive,
    ) -> None:
        self.session, self.vault, self.policy = session, runtime.vault, policy
        self.subject_id, self.lang, self.kind, self.archive = subject_id, lang, kind, archive
        self.zf = archive.zip
        self.members = ["index.html", "data.json"]

    def write(
        self, tables: list[SubjectTable], made_at: datetime
    ) -> tuple[dict[str, int], list[Held]]:
        positions_table = next((t for t in tables if t.name == POSITION_TABLE), None)
        others = [t for t in tables if t is not positions_table]
        files = write_blobs(self.zf, self.session, self.vault, others, self.subject_id)
        if files:
            self.members.append(f"{FILES_DIR}/")
        positions = None
        if positions_table is not None:
            positions = self._positions(made_at)
            self.members[2:2] = ["positions.csv", "tracks.gpx"]
        records = RecordWriter(self.session, self.vault, self.policy, self.subject_id, files)
        with _text_member(self.zf, "data.json") as out:
            self._data_json(out, others, positions_table, positions, records, made_at)
        held = list(records.held.values())
        summaries = {h.table: str(h.rows) for h in held}
        if positions_table is not None and positions is not None:
            held.append(self._positions_held(positions_table, positions))
            summaries[POSITION_TABLE] = str(labels(self.lang)["positions_summary"]).format(
                count=positions.rows, tracks=positions.tracks
            )
        page = render_index(
            self.policy,
            lang=self.lang,
            kind=self.kind,
            held=[h for h in held if h.categories],
            summaries=summaries,
            members=self.members,
            made_at=made_at,
        )
        self.zf.writestr("index.html", page)
        counts = {h.table: h.rows for h in held if h.rows}
        if positions is not None:
            counts["tracks"] = positions.tracks
        counts["files"] = sum(1 for refs in files.values() for r in refs.values() if r)
        return counts, held

    def _positions(self, made_at: datetime) -> PositionCounts:
        devices = [
            ExportDevice(
                d.id, d.name or f"{d.model or d.protocol or 'tracker'} {d.id[:8]}", d.protocol
            )
            for d in self.session.scalars(
                select(Device).where(Device.customer_id == self.subject_id).order_by(Device.id)
            )
        ]
        # Both are deflated into spools as they are written, each on a thread of its own.
        with (
            self.archive.deflated_spool("positions.csv") as csv_spool,
            self.archive.deflated_spool("tracks.gpx") as gpx_spool,
            BackgroundWriter(csv_spool) as csv_out,
            BackgroundWriter(gpx_spool) as gpx_out,
        ):
            gpx = GpxWriter(gpx_out, creator="trackguard")
            gpx.open(name=self.policy.controller.name, time=iso_utc(made_at))
            counts = export_positions(
                self.session, self.vault, self.subject_id, devices, csv_out, gpx
            )
            gpx.close()
        self.archive.add_deflated("positions.csv", csv_spool)
        self.archive.add_deflated("tracks.gpx", gpx_spool)
        return counts

    def _positions_held(self, table: SubjectTable, counts: PositionCounts) -> Held:
        categories = {
            self.policy.category(str(c.info["category"])).key
            for c in table.table.columns
            if is_personal(str(c.info.get("category", "")))
        }
        return Held(
            table.name,
            rows=counts.rows,
            categories=dict.fromkeys(categories, counts.rows) if counts.rows else {},
            members=["positions.csv", "tracks.gpx"],
        )

    def _data_json(
        self,
        out: TextIO,
        tables: list[SubjectTable],
        positions_table: SubjectTable | None,
        positions: PositionCounts | None,
        records: RecordWriter,
        made_at: datetime,
    ) -> None:
        meta = {
            "format_version": FORMAT_VERSION,
            "kind": self.kind,
            "language": self.lang,
            "created_at": iso_utc(made_at),
            "controller": self.policy.controller.name,
            "policy_version": self.policy.version_id,
        }
        out.write(f'{{"export": {_dumps(meta)},\n"subject": {_dumps({"id": self.subject_id})},\n')
        out.write('"records": [')
        sections = {t.name: t for t in tables if t.name in (CONSENTS, REQUESTS)}
        first = True
        for table in tables:
            if table.name in sections:
                continue
            out.write("\n" if first else ",\n")
            first = False
            self._record(out, table, records)
        if positions_table is not None and positions is not None:
            header = record_header(self.policy, positions_table, self.lang)
            header |= {
                "count": positions.rows,
                "unreadable": positions.unreadable,
                "rows_in": ["positions.csv", "tracks.gpx"],
                "tracks": positions.tracks,
            }
            out.write(("\n" if first else ",\n") + _dumps(header))
        out.write("\n]")
        if CONSENTS in sections:
            events: list[dict[str, Any]] = []
            out.write(',\n"consents": {"events": ')
            records.write_rows(out, sections[CONSENTS], "data.json", keep=events)
            out.write(f',\n"current": {_dumps(current_consents(events))}}}')
        if REQUESTS in sections:
            out.write(',\n"requests": ')
            records.write_rows(out, sections[REQUESTS], "data.json")
        out.write("\n}\n")

    def _record(self, out: TextIO, table: SubjectTable, records: RecordWriter) -> None:
        header = _dumps(record_header(self.policy, table, self.lang))
        out.write(header[:-1] + ', "rows": ')
        records.write_rows(out, table, "data.json")
        out.write("}")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
