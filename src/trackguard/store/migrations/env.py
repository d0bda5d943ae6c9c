"""Alembic environment: runs on the connection trackguard hands it (never reads a URL)."""

from __future__ import annotations

from alembic import context

import trackguard.store.models  # noqa: F401  (registers every table)
from trackguard.store.base import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `trackguard db upgrade`, not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
