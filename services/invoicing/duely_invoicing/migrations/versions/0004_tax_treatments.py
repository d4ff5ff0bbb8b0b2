"""tax treatments: a customer's VAT treatment and exemption reason, and the one fixed on each invoice

Revision ID: 0004_tax_treatments
Revises: 0001
Create Date: 2026-12-02

Written by hand, a branch off 0001 like the other revisions: every head applies.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0004_tax_treatments"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = ("customers", "invoices")


def upgrade() -> None:
    # Null everywhere: existing customers inherit (standard, or exempt when tax_exempt), and existing
    # invoices were priced with their tax rates, i.e. standard.
    for table in TABLES:
        op.add_column(table, sa.Column("tax_treatment", sa.String(length=30), nullable=True))
        op.add_column(table, sa.Column("tax_exemption_reason", sa.Text(), nullable=True))
        op.add_column(table, sa.Column("tax_exemption_reason_code", sa.String(length=30), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("tax_exemption_reason_code")
            batch.drop_column("tax_exemption_reason")
            batch.drop_column("tax_treatment")
