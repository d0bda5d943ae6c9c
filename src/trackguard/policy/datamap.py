"""A Fides-compatible data map: the database as a fideslang `dataset` manifest.

Collections are tables, fields are columns with their data categories (from the
models), and the policy's taxonomy extensions travel along as `data_category`
resources so a Fides server can load the dataset without unknown keys. Data uses
are written as `data_uses` and, for readers of the deprecated name, mirrored in
`data_purposes` (fideslang's expand phase of that rename).
"""

from __future__ import annotations

from typing import Any

import yaml
from sqlalchemy import MetaData, Table

from trackguard.policy.model import Policy


def dataset_key(policy: Policy) -> str:
    return f"{policy.policy.key}_trackguard"


def datamap(policy: Policy, metadata: MetaData) -> dict[str, list[dict[str, Any]]]:
    """The manifest as plain data: `{"dataset": [...], "data_category": [...]}`."""
    key = dataset_key(policy)
    dataset: dict[str, Any] = {
        "fides_key": key,
        "name": f"trackguard ({policy.controller.name})",
        "description": (
            f"{policy.policy.title.en} — policy {policy.version_id}. "
            "Tables of the trackguard GPS-tracker platform and the data categories they hold."
        ),
        "collections": [
            _collection(policy, table, key)
            for table in sorted(metadata.tables.values(), key=lambda t: t.name)
        ],
    }
    manifest: dict[str, list[dict[str, Any]]] = {"dataset": [dataset]}
    if policy.extensions:
        manifest["data_category"] = [
            {
                "fides_key": ext.key,
                "parent_key": ext.parent,
                "name": ext.name.en,
                "description": ext.description.en,
            }
            for ext in policy.extensions
        ]
    return manifest


def render_datamap(policy: Policy, metadata: MetaData) -> str:
    """The manifest as YAML text."""
    return yaml.safe_dump(datamap(policy, metadata), sort_keys=False, allow_unicode=True, width=100)


def _collection(policy: Policy, table: Table, dataset: str) -> dict[str, Any]:
    collection: dict[str, Any] = {"name": str(table.name)}
    if policy.has_record(table.name):
        record = policy.record(table.name)
        collection["description"] = record.description.en
        uses = sorted({policy.purpose(p).data_use for p in record.purposes})
        if uses:
            collection["data_uses"] = uses
            collection["data_purposes"] = list(uses)
    collection["fields"] = [_field(column, dataset) for column in table.columns]
    return collection


def _field(column: Any, dataset: str) -> dict[str, Any]:
    field: dict[str, Any] = {"name": str(column.name)}
    category = column.info.get("category")
    if category:
        field["data_categories"] = [str(category)]
    meta: dict[str, Any] = {}
    if column.primary_key:
        meta["primary_key"] = True
    references = [
        {"dataset": dataset, "field": f"{fk.column.table.name}.{fk.column.name}", "direction": "to"}
        for fk in sorted(column.foreign_keys, key=lambda fk: fk.target_fullname)
    ]
    if references:
        meta["references"] = references
    if meta:
        field["fides_meta"] = meta
    return field
