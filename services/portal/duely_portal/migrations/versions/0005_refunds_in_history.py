"""refunds in the payment history (payment.refunded): one row per refund id

Revision ID: 0005_refunds_in_history
Revises: 0004_debits_and_payment_methods
Create Date: 2026-12-03 09:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0005_refunds_in_history"
down_revision: Union[str, Sequence[str], None] = "0004_debits_and_payment_methods"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Its own table: portal_payments' unique key (invoice, attempt number, outcome) would make two partial
    # refunds of one payment a single row.
    op.create_table(
        "portal_refunds",
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("refund_id", sa.String(length=64), nullable=False),
        sa.Column("invoice_id", sa.String(length=64), nullable=False),
        sa.Column("payment_id", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("manual", sa.Boolean(), nullable=False),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("organization_id", "refund_id"),
    )
    op.create_index("ix_portal_refunds_invoice", "portal_refunds", ["invoice_id", "refunded_at"])


def downgrade() -> None:
    op.drop_index("ix_portal_refunds_invoice", table_name="portal_refunds")
    op.drop_table("portal_refunds")
