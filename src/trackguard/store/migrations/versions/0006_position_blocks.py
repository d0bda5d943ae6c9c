"""Position blocks: `positions.fixes` and the index of rows not yet compacted.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 04:31:18.056246

Existing rows are single fixes (`fixes` NULL; a block row says how many it holds).
The partial index holds only the single rows the compactor may fold into blocks
(`tracking.position_blocks`); on PostgreSQL an index on the partitioned table is
made on every month partition.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UNCOMPACTED = "fixes IS NULL AND key_ref LIKE 'subject:%'"


def upgrade() -> None:
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fixes", sa.Integer(), nullable=True))
        batch_op.create_index(
            "ix_positions_uncompacted",
            ["device_id", "fix_time"],
            unique=False,
            sqlite_where=sa.text(UNCOMPACTED),
            postgresql_where=sa.text(UNCOMPACTED),
        )


def downgrade() -> None:
    # A block's fixes are inside its ciphertext: SQL cannot split them back into rows,
    # and dropping the column would make every block unreadable. Refuse instead.
    blocks = sa.text("SELECT count(*) FROM positions WHERE fixes IS NOT NULL")
    if op.get_bind().execute(blocks).scalar():
        raise RuntimeError(
            "positions holds compacted blocks; revision 0005 cannot read them. "
            "Restore a backup taken before upgrading instead of downgrading."
        )
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.drop_index("ix_positions_uncompacted")
        batch_op.drop_column("fixes")
