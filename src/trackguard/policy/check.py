"""`policy check`: do the database models hold only what the policy declares?

A pure function over the policy and SQLAlchemy metadata. Every table must be a
declared record; every column that is not a primary or foreign key must name a
category; that category must be a fideslang key or declared extension and, when
personal (`user.*`), declared for the record (an ancestor covers descendants);
every column a retention rule reads must exist on its record.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Boolean, Column, MetaData, Table
from sqlalchemy.orm import registry

from trackguard.policy import taxonomy
from trackguard.policy.model import Policy

UNDECLARED_RECORD = "undeclared record"
MISSING_TABLE = "record without table"
UNTAGGED = "untagged personal column"
UNKNOWN_KEY = "unknown taxonomy key"
UNDECLARED_CATEGORY = "undeclared category"
MISSING_RETENTION_COLUMN = "missing retention column"
NOT_BOOLEAN = "retention flag not boolean"
NO_SUBJECT = "retention scope without subject"


@dataclass(frozen=True)
class Finding:
    """One way the models and the policy disagree. Names places, never values."""

    kind: str
    message: str
    record: str
    column: str | None
    model_file: str | None
    policy_file: str | None

    def __str__(self) -> str:
        where = self.model_file or "<models>"
        target = f"{self.record}.{self.column}" if self.column else self.record
        policy = f" [policy: {self.policy_file}]" if self.policy_file else ""
        return f"{where}: {target}: {self.kind}: {self.message}{policy}"


@dataclass(frozen=True)
class CheckReport:
    findings: list[Finding]
    records: int
    columns: int
    categories: int

    @property
    def ok(self) -> bool:
        return not self.findings


def model_sources(mappings: registry) -> dict[str, str]:
    """Table name -> source file of the class mapped to it (e.g. `Base.registry`)."""
    sources: dict[str, str] = {}
    for mapper in mappings.mappers:
        table = mapper.local_table
        if isinstance(table, Table):
            try:
                sources[table.name] = inspect.getsourcefile(mapper.class_) or "<unknown>"
            except TypeError:  # classes built at runtime have no source file
                sources[table.name] = "<unknown>"
    return sources


class _Findings:
    """Collects findings, filling in the model file and policy file once."""

    def __init__(self, sources: Mapping[str, str], policy_file: str | None) -> None:
        self.sources, self.policy_file = sources, policy_file
        self.items: list[Finding] = []

    def add(self, kind: str, message: str, table: str, column: str | None = None) -> None:
        self.items.append(
            Finding(kind, message, table, column, self.sources.get(table), self.policy_file)
        )


def check(
    policy: Policy,
    metadata: MetaData,
    *,
    sources: Mapping[str, str] | None = None,
    policy_file: str | None = None,
) -> CheckReport:
    """Compare `metadata` with `policy`; an empty `findings` list means they agree."""
    found = _Findings(sources or {}, policy_file or (str(policy.source) if policy.source else None))
    columns = 0
    categories: set[str] = set()
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        declared = policy.has_record(table.name)
        if not declared:
            found.add(
                UNDECLARED_RECORD, "table is not declared as a record in the policy", table.name
            )
        for column in _tagged_columns(table):
            columns += 1
            category = column.info.get("category")
            if not category:
                found.add(
                    UNTAGGED,
                    "column has no info['category'] (use personal() or operational())",
                    table.name,
                    column.name,
                )
                continue
            categories.add(category)
            if not policy.is_known_category(category):
                found.add(
                    UNKNOWN_KEY,
                    f"'{category}' is neither a fideslang key nor a declared extension",
                    table.name,
                    column.name,
                )
            elif (
                declared
                and taxonomy.is_personal(category)
                and not policy.record_covers(table.name, category)
            ):
                found.add(
                    UNDECLARED_CATEGORY,
                    f"'{category}' is not declared for this record",
                    table.name,
                    column.name,
                )
        if declared:
            _check_retention(policy, table, found)
    for record in policy.records:
        if record.table not in metadata.tables and not record.optional:
            found.add(
                MISSING_TABLE, "record is declared in the policy but no table exists", record.table
            )
    return CheckReport(found.items, len(metadata.tables), columns, len(categories))


def _tagged_columns(table: Table) -> list[Column[object]]:
    """Columns that must carry a category: not structural (primary or foreign keys)."""
    return [c for c in table.columns if not c.primary_key and not c.foreign_keys]


def _check_retention(policy: Policy, table: Table, found: _Findings) -> None:
    for rule in policy.rules_for(table.name):
        target = rule.target(table.name)
        for role, name in target.columns():
            column = table.columns.get(name)
            if column is None:
                found.add(
                    MISSING_RETENTION_COLUMN,
                    f"retention rule '{rule.key}' reads {role} "
                    f"column '{name}', which does not exist",
                    table.name,
                    name,
                )
            elif role in ("exempt_if", "only_if") and not isinstance(column.type, Boolean):
                found.add(
                    NOT_BOOLEAN,
                    f"retention rule '{rule.key}' needs a boolean {role} column",
                    table.name,
                    name,
                )
        if target.scope != "all" and not table.info.get("subject_column"):
            found.add(
                NO_SUBJECT,
                f"retention rule '{rule.key}' selects {target.scope} rows, "
                "but the table names no subject column",
                table.name,
            )
        for ref in rule.referenced_by:
            ref_table, ref_column = ref.split(".")
            other = table.metadata.tables.get(ref_table)
            if other is not None and ref_column not in other.columns:
                found.add(
                    MISSING_RETENTION_COLUMN,
                    f"retention rule '{rule.key}' reads '{ref}', which does not exist",
                    ref_table,
                    ref_column,
                )
