"""One stored row as JSON values: plain columns as they are, vault columns decrypted.

A field whose key was destroyed (an anonymised account, crypto-shredded data) is
exported as null and named in the row's `unreadable` list, so the subject sees
that something was there and is gone, rather than an error or a silent gap.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

from trackguard.clock import as_utc
from trackguard.errors import VaultError
from trackguard.vault import Vault


def json_value(value: Any) -> Any:
    """A stored value as JSON: times ISO 8601 UTC, bytes base64, the rest as is."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_value(v) for v in value]
    return str(value)


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, as GPX and most tools read it."""
    return as_utc(moment).isoformat().replace("+00:00", "Z")


def decrypted(data: bytes) -> Any:
    """Decrypted field bytes: text when they are text, base64 otherwise."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}


def row_values(
    session: Session,
    vault: Vault,
    obj: object,
    table: Table,
    columns: Iterable[str],
    attributes: Mapping[str, str],
    files: Mapping[str, Any],
) -> dict[str, Any]:
    """The JSON of one row: `columns` (names) read through `attributes` (column -> ORM
    attribute); columns in `files` are replaced by their entry there (a file reference)."""
    values: dict[str, Any] = {}
    unreadable = []
    for name in columns:
        if name in files:
            values[name] = files[name]
            continue
        column = table.c[name]
        if column.info.get("encrypted"):
            try:
                data = vault.unseal_bytes(session, obj, name)
            except VaultError:  # key destroyed: the field is gone for good
                unreadable.append(name)
                data = None
            values[name] = None if data is None else decrypted(data)
        else:
            values[name] = json_value(getattr(obj, attributes[name]))
    if unreadable:
        values["unreadable"] = unreadable
    return values
