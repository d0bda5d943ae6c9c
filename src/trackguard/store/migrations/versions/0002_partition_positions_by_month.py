"""partition positions by month (PostgreSQL)

Hand-written: autogenerate cannot express partitioning. On PostgreSQL the plain
`positions` table of 0001 becomes a table range-partitioned on `fix_time`, so the
retention sweep can drop a month of positions instead of deleting rows. The
partitions live in the schema `position_partitions`: one per month
(`positions_y2026m03`, made ahead of the writes by `tracking.positions.
PartitionKeeper`) and `positions_default` for fixes outside the window around
now. Existing rows are copied over, their months' partitions made first.

On SQLite this revision does nothing: the table stays as 0001 made it.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from alembic import op
from sqlalchemy import text

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "position_partitions"
COLUMNS = "device_id, fix_time, received_at, key_ref, payload"


def _month_partition(month: date) -> str:
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return (
        f"CREATE TABLE {SCHEMA}.positions_y{month.year:04d}m{month.month:02d} "
        f"PARTITION OF positions FOR VALUES FROM ('{month.isoformat()} 00:00:00+00') "
        f"TO ('{following.isoformat()} 00:00:00+00')"
    )


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE positions RENAME TO positions_unpartitioned")
    op.execute(
        "ALTER TABLE positions_unpartitioned RENAME CONSTRAINT pk_positions TO pk_positions_old"
    )
    op.execute(
        "ALTER TABLE positions_unpartitioned "
        "RENAME CONSTRAINT fk_positions_device_id_devices TO fk_positions_old_device_id"
    )
    op.execute(
        """
        CREATE TABLE positions (
            device_id VARCHAR(32) NOT NULL,
            fix_time TIMESTAMP WITH TIME ZONE NOT NULL,
            received_at TIMESTAMP WITH TIME ZONE NOT NULL,
            key_ref VARCHAR(80) NOT NULL,
            payload BYTEA NOT NULL,
            CONSTRAINT pk_positions PRIMARY KEY (device_id, fix_time),
            CONSTRAINT fk_positions_device_id_devices FOREIGN KEY (device_id)
                REFERENCES devices (id) ON DELETE CASCADE
        ) PARTITION BY RANGE (fix_time)
        """
    )
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    op.execute(f"CREATE TABLE {SCHEMA}.positions_default PARTITION OF positions DEFAULT")
    months = bind.execute(
        text(
            "SELECT DISTINCT date_trunc('month', fix_time AT TIME ZONE 'UTC')::date "
            "FROM positions_unpartitioned"
        )
    ).scalars()
    for month in sorted(months):
        op.execute(_month_partition(month))
    op.execute(f"INSERT INTO positions ({COLUMNS}) SELECT {COLUMNS} FROM positions_unpartitioned")
    op.execute("DROP TABLE positions_unpartitioned")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE positions RENAME TO positions_partitioned")
    op.execute(
        "ALTER TABLE positions_partitioned RENAME CONSTRAINT pk_positions TO pk_positions_old"
    )
    op.execute(
        "ALTER TABLE positions_partitioned "
        "RENAME CONSTRAINT fk_positions_device_id_devices TO fk_positions_old_device_id"
    )
    op.execute(
        """
        CREATE TABLE positions (
            device_id VARCHAR(32) NOT NULL,
            fix_time TIMESTAMP WITH TIME ZONE NOT NULL,
            received_at TIMESTAMP WITH TIME ZONE NOT NULL,
            key_ref VARCHAR(80) NOT NULL,
            payload BYTEA NOT NULL,
            CONSTRAINT pk_positions PRIMARY KEY (device_id, fix_time),
            CONSTRAINT fk_positions_device_id_devices FOREIGN KEY (device_id)
                REFERENCES devices (id) ON DELETE CASCADE
        )
        """
    )
    op.execute(f"INSERT INTO positions ({COLUMNS}) SELECT {COLUMNS} FROM positions_partitioned")
    op.execute("DROP TABLE positions_partitioned")
    op.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
