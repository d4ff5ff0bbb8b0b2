"""charge reservations on invoices; payments' status (applied, rejected, refunded)

Revision ID: 0003_charge_reservations
Revises: 0001
Create Date: 2026-12-01

Written by hand, a branch off 0001 like the issue-3 revisions: every head applies.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0003_charge_reservations"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("invoices", sa.Column("charge_reserved_by", sa.String(length=64), nullable=True))
    op.add_column("invoices", sa.Column("charge_reserved_until", sa.DateTime(timezone=True), nullable=True))
    # Payments recorded before this revision were all counted in amount_paid: "applied".
    op.add_column("invoice_payments", sa.Column("status", sa.String(length=20), nullable=False,
                                                server_default="applied"))
    op.add_column("invoice_payments", sa.Column("refund_id", sa.String(length=64), nullable=True))
    op.add_column("invoice_payments", sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invoice_payments") as batch:
        batch.drop_column("refunded_at")
        batch.drop_column("refund_id")
        batch.drop_column("status")
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("charge_reserved_until")
        batch.drop_column("charge_reserved_by")
