"""pricing: reusable tax rates, manual exchange rates, discounts, line periods, reporting currency, listing indexes

Revision ID: 0002_pricing
Revises: 0001
Create Date: 2026-11-28

Written by hand (a branch off 0001; other issue-3 branches apply alongside it).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0002_pricing"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "tax_rates",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("percentage", sa.String(length=20), nullable=False),
        sa.Column("inclusive", sa.Boolean(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_tax_rates_org_created", "tax_rates", ["organization_id", "created_at", "id"])

    op.create_table(
        "exchange_rates",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("base", sa.String(length=3), nullable=False),
        sa.Column("quote", sa.String(length=3), nullable=False),
        sa.Column("rate", sa.String(length=40), nullable=False),
        sa.Column("rate_date", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_exchange_rates_pair", "exchange_rates", ["organization_id", "base", "quote", "rate_date"])

    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("discounts", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("total_discount", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("reporting_currency", sa.String(length=3), nullable=True))
        batch.add_column(sa.Column("reporting", sa.JSON(), nullable=True))
        # (organization_id, customer_id) is a prefix of the new customer index: replaced, not kept twice.
        batch.drop_index("ix_invoices_org_customer")
        batch.create_index("ix_invoices_org_customer_created", ["organization_id", "customer_id", "created_at", "id"])
        batch.create_index("ix_invoices_org_status_created", ["organization_id", "status", "created_at", "id"])

    with op.batch_alter_table("invoice_lines") as batch:
        batch.add_column(sa.Column("discounts", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("discount_amount", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("tax_amount", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("period_start", sa.Date(), nullable=True))
        batch.add_column(sa.Column("period_end", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invoice_lines") as batch:
        for column in ("period_end", "period_start", "tax_amount", "discount_amount", "discounts"):
            batch.drop_column(column)
    with op.batch_alter_table("invoices") as batch:
        batch.drop_index("ix_invoices_org_status_created")
        batch.drop_index("ix_invoices_org_customer_created")
        batch.create_index("ix_invoices_org_customer", ["organization_id", "customer_id"])
        for column in ("reporting", "reporting_currency", "total_discount", "discounts"):
            batch.drop_column(column)
    op.drop_index("ix_exchange_rates_pair", table_name="exchange_rates")
    op.drop_table("exchange_rates")
    op.drop_index("ix_tax_rates_org_created", table_name="tax_rates")
    op.drop_table("tax_rates")
