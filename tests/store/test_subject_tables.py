"""The table map: which tables hold rows about a subject, and which rows are whose."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import (
    Column,
    ColumnElement,
    ForeignKey,
    MetaData,
    String,
    Table,
    func,
    insert,
    select,
)

from trackguard.errors import PolicyError
from trackguard.store.base import Base
from trackguard.store.engine import Database
from trackguard.store.models import Customer, Device, Position
from trackguard.store.subject_tables import SubjectTable, subject_tables, table_map

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

# Tables with personal columns whose rows are about no customer, and why.
NOT_ABOUT_A_CUSTOMER = {
    "staff_users": "the operator's own staff accounts, not data subjects of the service",
    "business_accounts": "the company a business customer belongs to",
    "analytics_visitor_marks": "salted daily marks of anonymous visitors, unlinkable by design",
}


def _children() -> dict[str, set[str]]:
    """Child table -> the subject tables it hangs off."""
    found: dict[str, set[str]] = {}
    for parent in subject_tables():
        for child in parent.children:
            found.setdefault(child.name, set()).add(parent.name)
    return found


# -- the map, read from the models ---------------------------------------------------------


def test_every_table_declares_whether_its_rows_name_a_subject() -> None:
    undeclared = [t.name for t in Base.metadata.sorted_tables if "subject_column" not in t.info]
    assert undeclared == []
    assert list(table_map()) == [t.name for t in Base.metadata.sorted_tables]


def test_every_table_with_personal_columns_is_mapped_or_explicitly_not_a_subjects() -> None:
    children = _children()
    unaccounted = [
        t.name
        for t in table_map().values()
        if t.personal_columns()
        and t.subject_column is None
        and t.name not in children
        and t.name not in NOT_ABOUT_A_CUSTOMER
    ]
    assert unaccounted == []
    for name in NOT_ABOUT_A_CUSTOMER:  # the exceptions stay true
        assert table_map()[name].subject_column is None


def test_subject_tables_are_the_maps_entries_with_a_subject_column() -> None:
    found = subject_tables()
    assert all(t is table_map()[t.name] for t in found)
    assert {t.name for t in found} == {
        name for name, t in Base.metadata.tables.items() if t.info.get("subject_column")
    }
    assert [t.name for t in found if t.is_subject] == [Customer.__tablename__]


def test_key_classes_come_from_the_table_info() -> None:
    for entry in table_map().values():
        assert entry.key_class == entry.table.info.get("key_class")
    assert table_map()["positions"].key_class == "location"
    assert table_map()["orders"].key_class == "financial"


def test_via_links_resolve_to_the_linked_tables_subject_column() -> None:
    linked = [t for t in subject_tables() if t.via is not None]
    assert {t.name for t in linked} >= {"positions", "device_geofences"}
    for entry in linked:
        assert entry.via is not None and entry.subject_key is not None
        via_table, via_column = entry.table.info["subject_via"].split(".", 1)
        assert entry.via.table is Base.metadata.tables[via_table]
        assert entry.via.subject is entry.via.table.c[via_column]
        assert table_map()[via_table].subject_column == via_column  # one hop to the subject
        assert entry.via.referenced in {fk.column for fk in entry.subject_key.foreign_keys}
    positions = table_map()["positions"]
    assert positions.via is not None
    assert positions.via.referenced is Device.__table__.c.id
    assert positions.via.subject is Device.__table__.c.customer_id


def test_children_are_subjectless_tables_hanging_off_a_subject_table() -> None:
    requests = table_map()["rights_requests"]
    assert {(c.name, c.parent_column) for c in requests.children} >= {
        ("request_events", "request_id"),
        ("verification_tokens", "request_id"),
    }
    for parent in subject_tables():
        for child in parent.children:
            assert child.table.info["subject_column"] is None
            fk_targets = {fk.column.table for fk in child.table.c[child.parent_column].foreign_keys}
            assert parent.table in fk_targets


def _linked_table(metadata: MetaData, name: str, link: str, parent: str, **info: object) -> Table:
    """A table `name` whose column `link` references `parent`.id, with `info` as table info."""
    table = Table(
        name, metadata, Column("id", String, primary_key=True), Column(link, ForeignKey(parent))
    )
    table.info.update(info)
    return table


def test_the_map_is_read_once_per_metadata() -> None:
    assert table_map() is table_map(Base.metadata)
    other = MetaData()
    people = Table("people", other, Column("id", String, primary_key=True))
    people.info.update(subject_column="id", key_class="profile")
    cars = _linked_table(other, "cars", "owner", "people.id", subject_column="owner")
    _linked_table(other, "trips", "car", "cars.id", subject_column="car", subject_via="cars.owner")
    _linked_table(other, "notes", "trip", "trips.id", subject_column=None)

    mapped = table_map(other)
    assert mapped is table_map(other) and mapped is not table_map()
    assert [t.name for t in subject_tables(other)] == ["people", "cars", "trips"]
    trip = mapped["trips"]
    assert trip.via is not None and trip.via.table is cars
    assert trip.via.referenced is cars.c.id and trip.via.subject is cars.c.owner
    assert [(c.name, c.parent_column) for c in trip.children] == [("notes", "trip")]
    assert mapped["people"].is_subject and not mapped["cars"].is_subject
    assert mapped["notes"].subject_column is None and mapped["notes"].via is None


def test_a_table_without_a_subject_has_no_subject_rows() -> None:
    events = table_map()["request_events"]
    assert events.subject_key is None and events.subject_of_row() is None
    with pytest.raises(PolicyError, match="no data subject"):
        events.belongs_to("someone")
    with pytest.raises(PolicyError, match="no column"):
        events.column("customer_id")


# -- "rows of subject X", on the database --------------------------------------------------


def _plant(db: Database) -> dict[str, str]:
    """Two customers with a tracker each, and a tracker nobody owns, each with fixes."""
    ids = {"alice": "a" * 32, "bob": "b" * 32}
    devices = {"alice": "d1" * 16, "bob": "d2" * 16, "nobody": "d3" * 16}
    fixes = {"alice": 2, "bob": 1, "nobody": 1}
    with db.engine.begin() as connection:
        for customer in ids.values():
            connection.execute(insert(Customer.__table__).values(id=customer, created_at=NOW))
        for owner, device in devices.items():
            connection.execute(
                insert(Device.__table__).values(
                    id=device, customer_id=ids.get(owner), imei_index=device, created_at=NOW
                )
            )
            for minute in range(fixes[owner]):
                connection.execute(
                    insert(Position.__table__).values(
                        device_id=device,
                        fix_time=NOW.replace(minute=minute),
                        received_at=NOW,
                        key_ref="test",
                        payload=b"sealed",
                    )
                )
    return ids


def _count(db: Database, entry: SubjectTable, where: ColumnElement[bool]) -> int:
    with db.engine.connect() as connection:
        query = select(func.count()).select_from(entry.table).where(where)
        return int(connection.scalar(query) or 0)


def test_rows_of_a_subject_are_found_directly_and_through_the_via_table(db: Database) -> None:
    ids = _plant(db)
    positions, devices, customers = (table_map()[n] for n in ("positions", "devices", "customers"))
    assert _count(db, positions, positions.belongs_to(ids["alice"])) == 2
    assert _count(db, positions, positions.belongs_to(ids["bob"])) == 1
    assert _count(db, devices, devices.belongs_to(ids["alice"])) == 1
    assert _count(db, customers, customers.belongs_to(ids["bob"])) == 1
    assert _count(db, positions, positions.subject_in([ids["alice"], ids["bob"]])) == 3
    subjects = select(Customer.__table__.c.id).where(Customer.__table__.c.id == ids["bob"])
    assert _count(db, positions, positions.subject_in(subjects)) == 1


def test_linked_rows_are_those_whose_subject_column_leads_to_a_subject(db: Database) -> None:
    _plant(db)
    positions, devices = table_map()["positions"], table_map()["devices"]
    assert _count(db, positions, positions.linked(True)) == 3
    assert _count(db, positions, positions.linked(False)) == 1
    assert _count(db, devices, devices.linked(False)) == 1


def test_each_row_names_its_subject(db: Database) -> None:
    ids = _plant(db)
    positions = table_map()["positions"]
    subject = positions.subject_of_row()
    assert subject is not None
    with db.engine.connect() as connection:
        found = connection.execute(select(subject).select_from(positions.table)).scalars().all()
    assert sorted(found, key=str) == sorted([ids["alice"], ids["alice"], ids["bob"], None], key=str)
