"""bank debits in progress (payment.processing) and the payment history's method type and reference

Revision ID: 0004_debits_and_payment_methods
Revises: 0003_payment_card_and_reason
Create Date: 2026-11-30 04:20:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa



revision: str = "0004_debits_and_payment_methods"
down_revision: Union[str, Sequence[str], None] = "0003_payment_card_and_reason"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("portal_payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("method_type", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("reference", sa.String(length=255), nullable=True))
    op.create_table(
        "portal_debits",
        sa.Column("attempt_id", sa.String(length=64), primary_key=True),
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("invoice_id", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("method_type", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
    )
    op.create_index("ix_portal_debits_invoice_id", "portal_debits", ["invoice_id"])


def downgrade() -> None:
    op.drop_index("ix_portal_debits_invoice_id", table_name="portal_debits")
    op.drop_table("portal_debits")
    with op.batch_alter_table("portal_payments", schema=None) as batch_op:
        batch_op.drop_column("reference")
        batch_op.drop_column("method_type")
