"""The Fides data map: a dataset fideslang itself accepts, extensions included."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from fideslang.models import DataCategory, Dataset

import trackguard.store.models  # noqa: F401 - registers every table on Base.metadata
from trackguard.policy import Policy, taxonomy
from trackguard.policy.datamap import dataset_key, render_datamap
from trackguard.store.base import Base


@pytest.fixture(scope="module")
def manifest(policy: Policy) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(render_datamap(policy, Base.metadata))
    return data


def test_dataset_loads_as_a_fideslang_dataset(manifest: dict[str, Any], policy: Policy) -> None:
    (raw,) = manifest["dataset"]
    dataset = Dataset.model_validate(raw)
    assert dataset.fides_key == dataset_key(policy)
    assert {c.name for c in dataset.collections} == set(Base.metadata.tables)


def test_fields_carry_the_model_categories(manifest: dict[str, Any]) -> None:
    dataset = Dataset.model_validate(manifest["dataset"][0])
    for collection in dataset.collections:
        table = Base.metadata.tables[collection.name]
        assert {f.name for f in collection.fields} == set(table.columns.keys())
        for field in collection.fields:
            category = table.columns[field.name].info.get("category")
            assert field.data_categories == ([category] if category else None)


def test_extensions_travel_as_data_categories_fides_accepts(
    manifest: dict[str, Any], policy: Policy
) -> None:
    declared = {DataCategory.model_validate(c).fides_key for c in manifest["data_category"]}
    assert declared == policy.extension_keys()
    used = {
        key
        for collection in manifest["dataset"][0]["collections"]
        for field in collection["fields"]
        for key in field.get("data_categories") or []
    }
    assert used <= taxonomy.data_categories() | declared


def test_data_uses_are_mirrored_for_readers_of_the_old_name(
    manifest: dict[str, Any], policy: Policy
) -> None:
    dataset = Dataset.model_validate(manifest["dataset"][0])
    chats = next(c for c in dataset.collections if c.name == "chat_messages")
    assert chats.data_uses == ["essential.service.operations.support"]
    for raw in manifest["dataset"][0]["collections"]:
        assert raw.get("data_uses") == raw.get("data_purposes")


def test_primary_and_foreign_keys_are_marked(manifest: dict[str, Any]) -> None:
    dataset = Dataset.model_validate(manifest["dataset"][0])
    positions = next(c for c in dataset.collections if c.name == "positions")
    fields = {f.name: f for f in positions.fields}
    for key in ("device_id", "fix_time"):  # positions are keyed by device and fix time
        key_meta = fields[key].fides_meta
        assert key_meta is not None and key_meta.primary_key
    meta = fields["device_id"].fides_meta
    assert meta is not None and meta.references is not None
    assert meta.references[0].field == "devices.id"
