"""runtime tables: parked outbox rows, and indexes for the retention worker

Revision ID: 0002_runtime_hardening
Revises: 0001
Create Date: 2026-11-29 12:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0002_runtime_hardening"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))
    op.create_index("ix_inbox_processed_at", "inbox", ["processed_at"])
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])
    op.create_index("ix_dead_letters_created_at", "dead_letters", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_dead_letters_created_at", table_name="dead_letters")
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_index("ix_inbox_processed_at", table_name="inbox")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("last_error")
        batch_op.drop_column("parked_at")
