"""saved payment methods and their gateway customers, gateway (Stripe webhook) events handled, AutoPay
requests, card expiry warnings; attempts learn saved methods, AutoPay and bank debits that settle later

Revision ID: 0005_payment_methods
Revises: 0004_attempt_card_and_reason
Create Date: 2026-11-30 04:30:00

Existing attempts are typed card charges: method_type card, no gateway customer or mandate, autopay false.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0005_payment_methods"
down_revision: Union[str, Sequence[str], None] = "0004_attempt_card_and_reason"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("payment_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("method_type", sa.String(length=32), nullable=False, server_default="card"))
        batch_op.add_column(sa.Column("gateway_customer", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("gateway_mandate", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("autopay", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("settling_since", TS, nullable=True))
        batch_op.add_column(sa.Column("gateway_polled_at", TS, nullable=True))
        batch_op.create_index("ix_payment_attempts_gateway_reference", ["gateway_reference"])

    op.create_table(
        "gateway_customers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("gateway_id", sa.String(length=255), nullable=False),
        sa.Column("customer", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("gateway_id"),
        sa.UniqueConstraint("organization_id", "customer_id", name="uq_gateway_customers_customer"),
    )
    op.create_table(
        "payment_methods",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("gateway_customer", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("brand", sa.String(length=32), nullable=True),
        sa.Column("bank_name", sa.String(length=200), nullable=True),
        sa.Column("bank_code", sa.String(length=32), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("account_holder_type", sa.String(length=32), nullable=True),
        sa.Column("last4", sa.String(length=4), nullable=True),
        sa.Column("exp_month", sa.Integer(), nullable=True),
        sa.Column("exp_year", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("gateway_setup_intent", sa.String(length=255), nullable=True),
        sa.Column("gateway_mandate", sa.String(length=255), nullable=True),
        sa.Column("mandate_reference", sa.String(length=255), nullable=True),
        sa.Column("mandate_accepted_at", TS, nullable=True),
        sa.Column("mandate_ip_address", sa.String(length=64), nullable=True),
        sa.Column("mandate_user_agent", sa.Text(), nullable=True),
        sa.Column("authorization_text", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("detached_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("payment_methods") as batch:
        batch.create_index("ix_payment_methods_customer", ["organization_id", "customer_id", "created_at"])
    op.create_table(
        "gateway_events",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "autopay_requests",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("timer_id", sa.String(length=255), nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("invoice_id", sa.String(length=64), nullable=False),
        sa.Column("payment_method_id", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempt_id", sa.String(length=64), nullable=True),
        sa.Column("skip_reason", sa.String(length=40), nullable=True),
        sa.Column("correlation_id", sa.String(length=64), nullable=True),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("next_check_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("completed_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("timer_id"),
    )
    with op.batch_alter_table("autopay_requests") as batch:
        batch.create_index("ix_autopay_requests_due", ["status", "next_check_at"])
        batch.create_index("ix_autopay_requests_invoice_id", ["invoice_id"])
    op.create_table(
        "payment_method_expiry_warnings",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("payment_method_id", sa.String(length=255), nullable=False),
        sa.Column("exp_month", sa.Integer(), nullable=False),
        sa.Column("exp_year", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("payment_method_id", "exp_month", "exp_year", name="uq_expiry_warnings_method_expiry"),
    )


def downgrade() -> None:
    op.drop_table("payment_method_expiry_warnings")
    op.drop_table("autopay_requests")
    op.drop_table("gateway_events")
    op.drop_table("payment_methods")
    op.drop_table("gateway_customers")
    with op.batch_alter_table("payment_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_attempts_gateway_reference")
        batch_op.drop_column("gateway_polled_at")
        batch_op.drop_column("settling_since")
        batch_op.drop_column("autopay")
        batch_op.drop_column("gateway_mandate")
        batch_op.drop_column("gateway_customer")
        batch_op.drop_column("method_type")
