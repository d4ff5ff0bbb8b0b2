"""invoices count their reminder_sent events (aggregate_version); indexes for the retention worker

Revision ID: 0003_reminders_and_retention
Revises: 0001
Create Date: 2026-11-29 13:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0003_reminders_and_retention"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminders_sent", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_messages_created_at", "messages", ["created_at"])
    op.create_index("ix_webhook_deliveries_created_at", "webhook_deliveries", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_created_at", table_name="webhook_deliveries")
    op.drop_index("ix_messages_created_at", table_name="messages")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_column("reminders_sent")
