"""The customer's own export: asked for, made and handed over in one go, to its owner only.

`export_now` files an access or portability request (or picks up the customer's open
one), verifies it by the signed-in session, and completes it: the ZIP is written under
the exports directory with its `export_files` row. `export_file` finds an export the
customer owns; anyone else's, a deleted one or a missing file is NotFound (a 404), the
same answer as an id that never existed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from trackguard.clock import as_utc
from trackguard.errors import NotFound
from trackguard.policy import Policy
from trackguard.privacy.requests import (
    SUBJECT,
    Status,
    complete_request,
    submit_request,
    verify_by_session,
)
from trackguard.runtime import Runtime
from trackguard.store.models import ExportFile

ExportKind = Literal["access", "portability"]
MEDIA_TYPE = "application/zip"


@dataclass(frozen=True)
class OwnExport:
    id: str
    request_id: str | None
    file_name: str
    size_bytes: int
    sha256: str
    created: datetime


def _own(row: ExportFile) -> OwnExport:
    return OwnExport(
        row.id, row.request_id, row.file_name, row.size_bytes, row.sha256, as_utc(row.created_at)
    )


def export_now(runtime: Runtime, customer_id: str, kind: ExportKind) -> OwnExport:
    """Make the customer's export of `kind` now; returns the file's record."""
    submitted = submit_request(runtime, customer_id=customer_id, type=kind, actor=SUBJECT)
    request = submitted.request
    if request.status == Status.RECEIVED:
        request = verify_by_session(runtime, request.id, customer_id=customer_id)
    if request.status in (Status.VERIFIED, Status.IN_PROGRESS):
        complete_request(runtime, request.id, actor=SUBJECT)
    with runtime.db.session() as session:
        row = session.scalar(
            select(ExportFile)
            .where(ExportFile.request_id == request.id, ExportFile.customer_id == customer_id)
            .order_by(ExportFile.created_at.desc())
            .limit(1)
        )
        if row is None:
            raise NotFound("the export was not made")
        return _own(row)


def own_exports(
    session: Session, exports_dir: Path, customer_id: str, *, request_id: str | None = None
) -> list[OwnExport]:
    """The customer's exports still on disk, newest first (optionally of one request)."""
    query = select(ExportFile).where(
        ExportFile.customer_id == customer_id, ExportFile.deleted_at.is_(None)
    )
    if request_id is not None:
        query = query.where(ExportFile.request_id == request_id)
    rows = session.scalars(query.order_by(ExportFile.created_at.desc(), ExportFile.id))
    return [_own(row) for row in rows if _on_disk(exports_dir, row.file_name)]


def _on_disk(exports_dir: Path, file_name: str) -> bool:
    name = Path(file_name).name
    return name == file_name and (exports_dir / name).is_file()


def export_file(
    session: Session, exports_dir: Path, customer_id: str, export_id: str
) -> tuple[OwnExport, Path]:
    """The customer's export `export_id` and its file; NotFound for anything else."""
    row = session.get(ExportFile, export_id) if len(export_id) <= 32 else None
    if row is None or row.customer_id != customer_id or row.deleted_at is not None:
        raise NotFound("no such export")
    if not _on_disk(exports_dir, row.file_name):
        raise NotFound("no such export")
    return _own(row), exports_dir / row.file_name


def export_categories(policy: Policy, tables: Sequence[str] | None = None) -> list[str]:
    """What an export holds, for the audit entry of a download: every record's categories."""
    records = policy.records if tables is None else [policy.record(t) for t in tables]
    return sorted({c for record in records for c in record.categories})
