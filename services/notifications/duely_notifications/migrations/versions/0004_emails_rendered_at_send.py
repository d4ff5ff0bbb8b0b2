"""emails rendered when sent: facts queued, bodies stored once sent, skipped with a reason,
attachments named; payments read model (the receipt's payment method)

Revision ID: 0004_emails_rendered_at_send
Revises: 0001
Create Date: 2026-12-02 10:00:00

A branch off 0001 like the other revisions: every head applies.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0004_emails_rendered_at_send"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("facts", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("attachments", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("skipped_reason", sa.Text(), nullable=True))
        batch_op.alter_column("subject", existing_type=sa.String(length=998), nullable=True)
        batch_op.alter_column("text_body", existing_type=sa.Text(), nullable=True)
        batch_op.alter_column("html_body", existing_type=sa.Text(), nullable=True)
    op.create_table(
        "payments",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("invoice_id", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("payment_method", sa.String(length=255), nullable=False),
        sa.Column("method_details", sa.JSON(), nullable=True),
        sa.Column("succeeded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_payments_invoice_id", "payments", ["invoice_id"])
    op.create_index("ix_payments_recorded_at", "payments", ["recorded_at"])


def downgrade() -> None:
    op.drop_index("ix_payments_recorded_at", table_name="payments")
    op.drop_index("ix_payments_invoice_id", table_name="payments")
    op.drop_table("payments")
    op.execute("DELETE FROM messages WHERE subject IS NULL")  # queued, never rendered: nothing to keep
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.alter_column("html_body", existing_type=sa.Text(), nullable=False)
        batch_op.alter_column("text_body", existing_type=sa.Text(), nullable=False)
        batch_op.alter_column("subject", existing_type=sa.String(length=998), nullable=False)
        batch_op.drop_column("skipped_reason")
        batch_op.drop_column("attachments")
        batch_op.drop_column("facts")
