"""settings: organization invoice settings, subscriptions, customer overrides, resolved settings on invoices

Revision ID: 0002_settings
Revises: 0001
Create Date: 2026-11-28

Written by hand (a branch off 0001; other issue-3 branches apply alongside it).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0002_settings"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "invoice_settings",
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("company_name", sa.String(length=200), nullable=True),
        sa.Column("address", sa.JSON(), nullable=True),
        sa.Column("tax_id", sa.String(length=64), nullable=True),
        sa.Column("logo_url", sa.Text(), nullable=True),
        sa.Column("accent_color", sa.String(length=7), nullable=True),
        sa.Column("footer", sa.Text(), nullable=True),
        sa.Column("invoice_prefix", sa.String(length=20), nullable=True),
        sa.Column("number_format", sa.String(length=60), nullable=True),
        sa.Column("number_reset", sa.String(length=10), nullable=True),
        sa.Column("payment_terms", sa.String(length=20), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("locale", sa.String(length=20), nullable=True),
        sa.Column("attach_pdf", sa.Boolean(), nullable=True),
        sa.Column("cc_finance_contacts", sa.Boolean(), nullable=True),
        sa.Column("extra_cc_emails", sa.JSON(), nullable=True),
        sa.Column("accepted_payment_methods", sa.JSON(), nullable=True),
        sa.Column("bank_details", sa.JSON(), nullable=True),
        sa.Column("default_memo", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.PrimaryKeyConstraint("organization_id"),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("payment_terms", sa.String(length=20), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("locale", sa.String(length=20), nullable=True),
        sa.Column("attach_pdf", sa.Boolean(), nullable=True),
        sa.Column("memo", sa.Text(), nullable=True),
        sa.Column("cc_emails", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("canceled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index("ix_subscriptions_org_created", ["organization_id", "created_at", "id"], unique=False)
        batch_op.create_index("ix_subscriptions_org_customer", ["organization_id", "customer_id"], unique=False)

    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payment_terms", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("currency", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("locale", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("attach_pdf", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("memo", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("tax_exempt", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("tax_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("billing_address", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("billing_contact", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("finance_contacts", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("invoice_number_sequences", schema=None) as batch_op:
        batch_op.alter_column("series", existing_type=sa.String(length=40), type_=sa.String(length=120),
                              existing_nullable=False)

    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subscription_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("locale", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("attach_pdf", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("cc_emails", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("issuer", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("billing_details", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("resolved_settings", sa.JSON(), nullable=True))
        batch_op.create_foreign_key("fk_invoices_subscription_id", "subscriptions", ["subscription_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_constraint("fk_invoices_subscription_id", type_="foreignkey")
        for column in ("resolved_settings", "billing_details", "issuer", "cc_emails", "attach_pdf", "locale",
                       "subscription_id"):
            batch_op.drop_column(column)
    with op.batch_alter_table("invoice_number_sequences", schema=None) as batch_op:
        batch_op.alter_column("series", existing_type=sa.String(length=120), type_=sa.String(length=40),
                              existing_nullable=False)
    with op.batch_alter_table("customers", schema=None) as batch_op:
        for column in ("updated_at", "finance_contacts", "billing_contact", "billing_address", "tax_id",
                       "tax_exempt", "memo", "attach_pdf", "locale", "currency", "payment_terms"):
            batch_op.drop_column(column)
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index("ix_subscriptions_org_customer")
        batch_op.drop_index("ix_subscriptions_org_created")
    op.drop_table("subscriptions")
    op.drop_table("invoice_settings")
