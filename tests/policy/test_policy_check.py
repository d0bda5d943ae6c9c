"""`policy check`: the models hold only what the policy declares, and every finding
names the model file, the record, the column and the policy file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from policy_helpers import Mutation, item
from sqlalchemy import Boolean, Column, ForeignKey, Integer, MetaData, String, Table
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

import trackguard.store.models  # noqa: F401 - registers every table on Base.metadata
from trackguard.policy import Policy
from trackguard.policy.check import (
    MISSING_RETENTION_COLUMN,
    MISSING_TABLE,
    NOT_BOOLEAN,
    UNDECLARED_CATEGORY,
    UNDECLARED_RECORD,
    UNKNOWN_KEY,
    UNTAGGED,
    check,
    model_sources,
)
from trackguard.store.base import Base, operational, personal

Build = Callable[[Mutation], Policy]


def _tag(category: str) -> dict[str, Any]:
    return {"category": category}


def _chats(metadata: MetaData, *extra: Column[Any]) -> Table:
    """A stand-in for chat_messages with the columns its retention rules read."""
    return Table(
        "chat_messages",
        metadata,
        Column("id", String(32), primary_key=True),
        Column("customer_id", String(32), ForeignKey("customers.id")),
        Column("sent_at", String, info=_tag("user.content.private.chat")),
        Column("relevant_to_service", Boolean, info=_tag("system.operations")),
        *extra,
    )


def _customers(metadata: MetaData, *extra: Column[Any]) -> Table:
    return Table(
        "customers",
        metadata,
        Column("id", String(32), primary_key=True),
        Column("email", String, info=_tag("user.contact.email")),
        Column("last_login_at", String, info=_tag("user.behavior")),
        Column("last_app_use_at", String, info=_tag("user.behavior")),
        Column("created_at", String, info=_tag("system.operations")),
        *extra,
    )


def _kinds(report: Any) -> list[tuple[str, str, str | None]]:
    return [(f.kind, f.record, f.column) for f in report.findings]


def test_shipped_policy_matches_the_real_models(policy: Policy) -> None:
    report = check(policy, Base.metadata, sources=model_sources(Base.registry))
    assert report.findings == []
    assert report.ok
    assert report.records == len(Base.metadata.tables)
    assert report.columns > 100 and report.categories > 20


def test_every_model_table_is_a_declared_record(policy: Policy) -> None:
    for table in Base.metadata.tables:
        assert policy.has_record(table), table


def test_untagged_column_fails(policy: Policy) -> None:
    md = MetaData()
    _customers(md, Column("nickname", String))
    _chats(md)
    assert (UNTAGGED, "customers", "nickname") in _kinds(check(policy, md))


def test_primary_and_foreign_keys_need_no_tag(policy: Policy) -> None:
    md = MetaData()
    _customers(md)
    _chats(md)
    kinds = {k for k, _, _ in _kinds(check(policy, md))}
    assert UNTAGGED not in kinds


def test_unknown_taxonomy_key_fails(policy: Policy) -> None:
    md = MetaData()
    _customers(md, Column("fax", String, info=_tag("user.contact.fax_machine")))
    _chats(md)
    assert (UNKNOWN_KEY, "customers", "fax") in _kinds(check(policy, md))


def test_declared_extension_is_a_known_key(policy: Policy) -> None:
    md = MetaData()
    _customers(md, Column("nationality", String, info=_tag("user.demographic.nationality")))
    _chats(md)
    assert not [f for f in check(policy, md).findings if f.column == "nationality"]


def test_undeclared_table_fails(policy: Policy) -> None:
    md = MetaData()
    _customers(md)
    _chats(md)
    Table(
        "gizmos",
        md,
        Column("id", Integer, primary_key=True),
        Column("owner", String, info=_tag("user.name")),
    )
    assert (UNDECLARED_RECORD, "gizmos", None) in _kinds(check(policy, md))


def test_personal_category_not_declared_for_the_record_fails(policy: Policy) -> None:
    md = MetaData()
    _customers(md, Column("iban", String, info=_tag("user.financial.bank_account")))
    _chats(md)
    assert (UNDECLARED_CATEGORY, "customers", "iban") in _kinds(check(policy, md))


def test_declared_ancestor_covers_descendants_and_system_needs_nothing(policy: Policy) -> None:
    md = MetaData()
    _customers(
        md,
        Column("first_name", String, info=_tag("user.name.first")),  # record declares user.name
        Column("status", String, info=_tag("system.operations")),
        Column("password_hash", String, info=_tag("system.authentication")),
    )
    _chats(md)
    columns = {f.column for f in check(policy, md).findings}
    assert not columns & {"first_name", "status", "password_hash"}


def test_record_declaring_a_parent_covers_its_children(mutated: Build) -> None:
    def declare_user_contact(d: dict[str, Any]) -> None:
        d["categories"].append(
            {
                "key": "user.contact",
                "name": {"nl": "Contactgegevens", "en": "Contact details"},
                "description": {"nl": "Contact.", "en": "Contact."},
                "collected": ["direct"],
                "dpv": "dpv-pd:Contact",
                "residency": "eea",
            }
        )
        item(d["purposes"], "service_delivery")["categories"].append("user.contact")
        item(d["records"], "customers", "table")["categories"].append("user.contact")

    policy = mutated(declare_user_contact)
    md = MetaData()
    _customers(md, Column("fax", String, info=_tag("user.contact.fax_number")))
    _chats(md)
    assert not [f for f in check(policy, md).findings if f.column == "fax"]


def test_retention_column_missing_on_its_record_fails(mutated: Build) -> None:
    def count_from_elsewhere(d: dict[str, Any]) -> None:
        rule = item(d["retention"]["rules"], "chat_contact")
        rule["targets"][0]["counts_from"] = ["delivered_at"]

    report = check(
        mutated(count_from_elsewhere), Base.metadata, sources=model_sources(Base.registry)
    )
    assert _kinds(report) == [(MISSING_RETENTION_COLUMN, "chat_messages", "delivered_at")]
    assert "chat_contact" in report.findings[0].message


def test_exemption_column_must_exist_and_be_boolean(policy: Policy) -> None:
    md = MetaData()
    _customers(md)
    Table(
        "chat_messages",
        md,
        Column("id", String(32), primary_key=True),
        Column("sent_at", String, info=_tag("user.content.private.chat")),
        Column("relevant_to_service", String, info=_tag("system.operations")),
    )
    assert (NOT_BOOLEAN, "chat_messages", "relevant_to_service") in _kinds(check(policy, md))

    md = MetaData()
    _customers(md)
    Table(
        "chat_messages",
        md,
        Column("id", String(32), primary_key=True),
        Column("sent_at", String, info=_tag("user.content.private.chat")),
    )
    assert (MISSING_RETENTION_COLUMN, "chat_messages", "relevant_to_service") in _kinds(
        check(policy, md)
    )


def test_declared_record_without_table_fails_unless_optional(policy: Policy) -> None:
    md = MetaData()
    _chats(md)
    kinds = _kinds(check(policy, md))
    assert (MISSING_TABLE, "customers", None) in kinds
    assert (MISSING_TABLE, "identity_documents", None) in kinds
    # A record declared ahead of the code that stores it is not a finding.
    records = tuple(
        r.model_copy(update={"optional": True}) if r.table == "identity_documents" else r
        for r in policy.records
    )
    ahead = policy.model_copy(update={"records": records})
    assert not [k for k in _kinds(check(ahead, md)) if k[1] == "identity_documents"]


class _Scratch(DeclarativeBase):
    pass


class _Customer(_Scratch):
    """A mapped class in this file, so findings must name this file."""

    __tablename__ = "customers"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    email: Mapped[str] = personal("user.contact.email", String)
    shoe_size: Mapped[int] = mapped_column(Integer)
    last_login_at: Mapped[str] = personal("user.behavior", String)
    last_app_use_at: Mapped[str] = personal("user.behavior", String)
    created_at: Mapped[str] = operational(String)


def test_findings_name_model_file_record_column_and_policy_file(policy: Policy) -> None:
    report = check(policy, _Scratch.metadata, sources=model_sources(_Scratch.registry))
    finding = next(f for f in report.findings if f.column == "shoe_size")
    assert finding.kind == UNTAGGED
    assert Path(finding.model_file or "").name == Path(__file__).name
    assert finding.record == "customers"
    assert finding.policy_file is not None and finding.policy_file.endswith("conneqtech.yaml")
    text = str(finding)
    assert "customers.shoe_size" in text and Path(__file__).name in text
    assert "conneqtech.yaml" in text


def test_real_model_findings_name_their_source_file(policy: Policy) -> None:
    sources = model_sources(Base.registry)
    assert Path(sources["customers"]).name == "accounts.py"
    assert Path(sources["positions"]).name == "tracking.py"


@pytest.mark.parametrize("table", sorted(Base.metadata.tables))
def test_every_real_column_names_a_category(table: str) -> None:
    for column in Base.metadata.tables[table].columns:
        if not column.primary_key and not column.foreign_keys:
            assert column.info.get("category"), f"{table}.{column.name}"
