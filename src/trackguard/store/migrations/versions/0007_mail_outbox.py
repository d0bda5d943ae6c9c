"""Mail outbox: e-mails written with the transaction that sends them, delivered after commit.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 11:20:00.000000

The same release moves e-mails and complaints from the `communications` key class to
their own `correspondence` class, so that erasure keeps them (the policy holds them
under a legal obligation). Their ciphertexts can only be moved with the master key,
which migrations never see: `privacy.retention.key_classes.move_key_classes` does it
after the vault is open, subject by subject, and records it in
`vault_meta.key_class_layout`; erasure does it for its own subject first.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import trackguard.store.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=True),
        sa.Column("recipient", sa.LargeBinary(), nullable=False),
        sa.Column("subject", sa.LargeBinary(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("reply_to", sa.String(length=254), nullable=True),
        sa.Column("purpose", sa.String(length=60), nullable=False),
        sa.Column("audit_action", sa.String(length=80), nullable=False),
        sa.Column("replaces", sa.String(length=100), nullable=True),
        sa.Column("queued_at", trackguard.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("not_after", trackguard.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "next_attempt_at", trackguard.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_mail_outbox_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_outbox")),
        info={"subject_column": "customer_id", "key_class": "communications"},
    )
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mail_outbox_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_mail_outbox_next_attempt_at"), ["next_attempt_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_mail_outbox_replaces"), ["replaces"], unique=False)
    with op.batch_alter_table("vault_meta", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_class_layout", sa.Integer(), nullable=True))


def downgrade() -> None:
    # Refuse rather than lose data, as 0006 does for blocks: messages still waiting would
    # go with the table, and 0006's code reads e-mails and complaints under the
    # communications key only (moving them back needs the master key, as moving them did).
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM mail_outbox")).scalar():
        raise RuntimeError(
            "mail_outbox still holds undelivered e-mails; let `trackguard serve` deliver them "
            "(or let retention remove them) before downgrading"
        )
    moved = sa.text("SELECT count(*) FROM subject_keys WHERE key_class = 'correspondence'")
    if bind.execute(moved).scalar():
        raise RuntimeError(
            "e-mails and complaints are encrypted under correspondence keys, which revision "
            "0006 cannot read. Restore a backup taken before upgrading instead of downgrading."
        )
    with op.batch_alter_table("vault_meta", schema=None) as batch_op:
        batch_op.drop_column("key_class_layout")
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_outbox_replaces"))
        batch_op.drop_index(batch_op.f("ix_mail_outbox_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_mail_outbox_customer_id"))
    op.drop_table("mail_outbox")
