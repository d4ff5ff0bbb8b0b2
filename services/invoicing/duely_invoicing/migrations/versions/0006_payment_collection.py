"""payment collection (issue #9): AutoPay settings, the saved-methods read model, credit ledger, refunds

Revision ID: 0006_payment_collection
Revises: 0005_one_head
Create Date: 2026-11-30 13:00:00

Written by hand on the one head. Adds AutoPay at the organization (with its timezone and the SEPA
pre-notification period), customer and subscription levels, the customer's accepted payment methods,
the invoice's AutoPay plan and credit applied, what each counted payment did (applied / credit / refunded),
one row per refund of a counted payment, the customer credit ledger and the read model of saved methods.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0006_payment_collection"
down_revision: Union[str, Sequence[str], None] = "0005_one_head"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("invoice_settings", sa.Column("autopay", sa.JSON(), nullable=True))
    op.add_column("invoice_settings", sa.Column("timezone", sa.String(length=64), nullable=True))
    op.add_column("invoice_settings", sa.Column("sepa_prenotification_days", sa.Integer(), nullable=True))
    op.add_column("customers", sa.Column("autopay", sa.JSON(), nullable=True))
    op.add_column("customers", sa.Column("accepted_payment_methods", sa.JSON(), nullable=True))
    op.add_column("subscriptions", sa.Column("autopay", sa.JSON(), nullable=True))
    op.add_column("invoices", sa.Column("autopay_plan", sa.JSON(), nullable=True))
    op.add_column("invoices", sa.Column("credit_applied", sa.BigInteger(), server_default="0", nullable=False))
    op.add_column("invoice_payments", sa.Column("method_type", sa.String(length=30), nullable=True))
    op.add_column("invoice_payments", sa.Column("manual", sa.Boolean(), nullable=True))
    op.add_column("invoice_payments", sa.Column("amount_applied", sa.BigInteger(), nullable=True))
    for name in ("credit_added", "amount_refunded", "credit_refunded"):
        op.add_column("invoice_payments", sa.Column(name, sa.BigInteger(), server_default="0", nullable=False))

    op.create_table(
        "invoice_payment_refunds",
        sa.Column("refund_id", sa.String(length=64), nullable=False),
        sa.Column("payment_id", sa.String(length=64), nullable=False),
        sa.Column("invoice_id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("from_invoice", sa.BigInteger(), nullable=False),
        sa.Column("from_credit", sa.BigInteger(), nullable=False),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("refund_id"),
    )
    op.create_index("ix_invoice_payment_refunds_payment_id", "invoice_payment_refunds", ["payment_id"])

    op.create_table(
        "customer_credit_entries",
        sa.Column("id", _BIGINT_ID, autoincrement=True, nullable=False),
        sa.Column("entry_key", sa.String(length=120), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("payment_id", sa.String(length=64), nullable=True),
        sa.Column("invoice_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entry_key"),
    )
    op.create_index("ix_customer_credit_org_customer", "customer_credit_entries",
                    ["organization_id", "customer_id", "currency"])

    op.create_table(
        "saved_payment_methods",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.Column("brand", sa.String(length=40), nullable=True),
        sa.Column("bank_name", sa.String(length=200), nullable=True),
        sa.Column("last4", sa.String(length=4), nullable=True),
        sa.Column("exp_month", sa.Integer(), nullable=True),
        sa.Column("exp_year", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("mandate_reference", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_saved_payment_methods_customer", "saved_payment_methods", ["organization_id", "customer_id"])


def downgrade() -> None:
    op.drop_index("ix_saved_payment_methods_customer", table_name="saved_payment_methods")
    op.drop_table("saved_payment_methods")
    op.drop_index("ix_customer_credit_org_customer", table_name="customer_credit_entries")
    op.drop_table("customer_credit_entries")
    op.drop_index("ix_invoice_payment_refunds_payment_id", table_name="invoice_payment_refunds")
    op.drop_table("invoice_payment_refunds")
    with op.batch_alter_table("invoice_payments") as batch:
        for name in ("credit_refunded", "amount_refunded", "credit_added", "amount_applied", "manual",
                     "method_type"):
            batch.drop_column(name)
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("credit_applied")
        batch.drop_column("autopay_plan")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("autopay")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("accepted_payment_methods")
        batch.drop_column("autopay")
    with op.batch_alter_table("invoice_settings") as batch:
        batch.drop_column("sepa_prenotification_days")
        batch.drop_column("timezone")
        batch.drop_column("autopay")
