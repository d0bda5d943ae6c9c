"""Everything stored about the subject, table by table, into data.json and files/.

Tables come from `store.subject_tables` (the models' subject columns), their
names, categories and purposes from the policy's records. Rows are read through
the ORM in batches (the session's identity map is weak, so memory stays flat),
decrypted by the vault, and written one JSON object at a time. Deferred binary
columns (call recordings, WhatsApp transcripts, ID copies) go to their own ZIP
member first, because a ZIP has one member open for writing at a time; data.json
then points at them. Along the way `Held` keeps what the index page shows: counts
and categories per record, and a few example values.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TextIO
from zipfile import ZipFile

from sqlalchemy import Select, Table, inspect, select
from sqlalchemy.orm import Session

from trackguard.errors import VaultError
from trackguard.policy import Policy
from trackguard.policy.taxonomy import is_personal
from trackguard.privacy.export.values import row_values
from trackguard.store.base import AUTHENTICATION
from trackguard.store.subject_tables import ChildTable, SubjectTable, mapper_of
from trackguard.vault import Vault

BATCH_ROWS = 500
SAMPLES_PER_CATEGORY = 5
SAMPLE_CHARS = 120
FILES_DIR = "files"
# A blob's row names its media type in one of these columns (see the communications models).
MEDIA_TYPE_COLUMNS = ("media_type", "content_type")
FileRefs = dict[tuple[str, str], dict[str, Any]]  # (table, row id) -> column -> reference


@dataclass
class Held:
    """What the index says about one record of the subject."""

    table: str
    rows: int = 0
    categories: dict[str, int] = field(default_factory=dict)  # policy category -> values
    samples: dict[str, list[str]] = field(default_factory=dict)
    members: list[str] = field(default_factory=list)  # where in the archive

    def note(self, category: str, value: Any) -> None:
        self.categories[category] = self.categories.get(category, 0) + 1
        shown = self.samples.setdefault(category, [])
        if len(shown) < SAMPLES_PER_CATEGORY and isinstance(value, str | int | float):
            text = str(value)
            shown.append(text if len(text) <= SAMPLE_CHARS else text[: SAMPLE_CHARS - 1] + "…")


@cache
def exported_columns(table: Table) -> tuple[str, ...]:
    """Every column except credentials (password hashes, signing secrets, wrapped keys):
    they are not data about the person, and handing them out would weaken the account."""
    return tuple(c.name for c in table.columns if c.info.get("category") != AUTHENTICATION)


@cache
def attributes_of(table: Table) -> dict[str, str]:
    """Column name -> the model attribute holding it."""
    mapper = mapper_of(table)
    return {c.name: mapper.get_property_by_column(c).key for c in table.columns}


def rows_of(subject: SubjectTable, subject_id: str) -> Select[Any]:
    """ORM select of the subject's rows of `subject`, in primary-key order."""
    mapper = mapper_of(subject.table)
    return (
        select(mapper)
        .where(subject.belongs_to(subject_id))
        .order_by(*subject.table.primary_key.columns)
    )


def children_of(child: ChildTable, parent_id: Any) -> Select[Any]:
    mapper = mapper_of(child.table)
    return (
        select(mapper)
        .where(child.table.c[child.parent_column] == parent_id)
        .order_by(*child.table.primary_key.columns)
    )


def blob_columns(table: SubjectTable) -> list[str]:
    """Deferred, encrypted columns: large binary content kept out of the row's JSON."""
    mapper = mapper_of(table.table)
    return [
        column.name
        for column in table.table.columns
        if column.info.get("encrypted")
        and getattr(mapper.get_property_by_column(column), "deferred", False)
    ]


def _batched(session: Session, table: SubjectTable, subject_id: str) -> Iterator[Any]:
    query = rows_of(table, subject_id).execution_options(yield_per=BATCH_ROWS)
    yield from session.scalars(query)


def _row_key(obj: Any) -> str:
    return "|".join(str(v) for v in inspect(obj).identity or ())


def write_blobs(
    zf: ZipFile, session: Session, vault: Vault, tables: Iterable[SubjectTable], subject_id: str
) -> FileRefs:
    """Write each blob as `files/<table>/<row>-<column><ext>`; returns the references."""
    refs: FileRefs = {}
    for table in tables:
        columns = blob_columns(table)
        if not columns:
            continue
        for obj in _batched(session, table, subject_id):
            row = _row_key(obj)
            media_type = next(
                (getattr(obj, c) for c in MEDIA_TYPE_COLUMNS if c in table.table.c), None
            )
            ext = _extension(media_type)
            for column in columns:
                try:
                    data = vault.unseal_bytes(session, obj, column)
                except VaultError:  # key destroyed
                    refs.setdefault((table.name, row), {})[column] = None
                    continue
                if data is None:
                    continue
                name = f"{FILES_DIR}/{table.name}/{row}-{column}{ext}"
                with zf.open(name, "w", force_zip64=True) as member:
                    member.write(data)
                refs.setdefault((table.name, row), {})[column] = {
                    "file": name,
                    "media_type": media_type,
                    "size_bytes": len(data),
                }
            session.expire(obj)  # drop the loaded blob from memory
    return refs


def _extension(media_type: str | None) -> str:
    """`.wav` for audio/wav; Python knows some types only by their x- name (audio/x-wav)."""
    if not media_type:
        return ".bin"
    kind, _, sub = media_type.partition("/")
    return (
        mimetypes.guess_extension(media_type)
        or mimetypes.guess_extension(f"{kind}/x-{sub}")
        or ".bin"
    )


def record_header(policy: Policy, table: SubjectTable, lang: str) -> dict[str, Any]:
    """The description of a record in data.json: names, categories, purposes, columns."""
    record = policy.record(table.name)
    return {
        "table": table.name,
        "name": record.name.get(lang),
        "description": record.description.get(lang),
        "categories": list(record.categories),
        "purposes": list(record.purposes),
        "columns": {
            name: table.table.c[name].info.get("category") for name in exported_columns(table.table)
        },
    }


class RecordWriter:
    """Writes the rows of subject tables as JSON arrays, noting what is held."""

    def __init__(
        self, session: Session, vault: Vault, policy: Policy, subject_id: str, files: FileRefs
    ) -> None:
        self.session, self.vault, self.policy = session, vault, policy
        self.subject_id, self.files = subject_id, files
        self.held: dict[str, Held] = {}

    def write_rows(
        self,
        out: TextIO,
        table: SubjectTable,
        member: str,
        keep: list[dict[str, Any]] | None = None,
    ) -> int:
        """`[row, row, ...]` of the subject's rows of `table`; returns how many. Rows are
        also appended to `keep` when given (for the few a summary needs again)."""
        held = self.held.setdefault(table.name, Held(table.name))
        blobs = blob_columns(table)
        for where in (member, *([f"{FILES_DIR}/{table.name}/"] if blobs else [])):
            if where not in held.members:
                held.members.append(where)
        out.write("[")
        count = 0
        for obj in _batched(self.session, table, self.subject_id):
            values = self._row(obj, table, held, blobs)
            if keep is not None:
                keep.append(values)
            for child in table.children:
                values[child.name] = [
                    self._values(c, child.table, None)
                    for c in self.session.scalars(children_of(child, _row_key(obj)))
                ]
            out.write(",\n" if count else "\n")
            out.write(json.dumps(values, ensure_ascii=False))
            count += 1
        out.write("\n]" if count else "]")
        held.rows += count
        return count

    def _row(self, obj: Any, table: SubjectTable, held: Held, blobs: list[str]) -> dict[str, Any]:
        # A blob never goes into the JSON: without a written file it is null.
        files = dict.fromkeys(blobs) | self.files.get((table.name, _row_key(obj)), {})
        values = self._values(obj, table.table, files)
        for name, value in values.items():
            if value is None or name not in table.table.c:
                continue
            category = table.table.c[name].info.get("category")
            if category and is_personal(category):
                held.note(self.policy.category(category).key, value)
        return values

    def _values(self, obj: Any, table: Any, files: dict[str, Any] | None) -> dict[str, Any]:
        return row_values(
            self.session,
            self.vault,
            obj,
            table,
            exported_columns(table),
            attributes_of(table),
            files or {},
        )


def current_consents(rows: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per purpose the latest consent event: the state the ledger gives now."""
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:
        purpose = row.get("purpose")
        if purpose is None:
            continue
        seen = latest.get(purpose)
        if seen is None or str(row.get("at")) >= str(seen.get("at")):
            latest[purpose] = row
    return {p: {"given": r.get("given"), "since": r.get("at")} for p, r in latest.items()}
