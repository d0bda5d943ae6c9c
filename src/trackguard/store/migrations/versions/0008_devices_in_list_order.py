"""A customer's devices in list order: index (customer_id, created_at, id).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 07:10:00.000000

Every device list (the API's latest positions, the portal) is a customer's devices
oldest first. With this index the database reads them in that order instead of
sorting them per request; it also serves every look-up by customer alone, so it
replaces `ix_devices_customer_id`.
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.create_index(
            "ix_devices_customer_id_created_at", ["customer_id", "created_at", "id"], unique=False
        )
        batch_op.drop_index("ix_devices_customer_id")


def downgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.create_index("ix_devices_customer_id", ["customer_id"], unique=False)
        batch_op.drop_index("ix_devices_customer_id_created_at")
