"""collections (issue #10): reminder, late fee and dunning-schedule settings, the collection plan, late fee invoices,
the customer's phone and SMS consent

Revision ID: 0007_collections
Revises: 0006_payment_collection
Create Date: 2026-11-30 08:00:00

Additive only: nullable columns (sms_opt_in with a server default) and one new table. Reminders at the
organization, customer and subscription levels, late fees at the organization and customer levels, the dunning
schedule at the customer and subscription levels (whole objects, None = inherit); on a late fee invoice, the
overdue invoice it charges for; one row per (overdue invoice, period) charged a late fee, so it is charged once.
(The invoice's collection plan needs no column: it is read from the settings resolved and frozen at approval.)
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0007_collections"
down_revision: Union[str, Sequence[str], None] = "0006_payment_collection"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("invoice_settings", sa.Column("reminders", sa.JSON(), nullable=True))
    op.add_column("invoice_settings", sa.Column("late_fee", sa.JSON(), nullable=True))
    op.add_column("customers", sa.Column("reminders", sa.JSON(), nullable=True))
    op.add_column("customers", sa.Column("late_fee", sa.JSON(), nullable=True))
    op.add_column("customers", sa.Column("dunning_schedule_id", sa.String(length=65), nullable=True))
    op.add_column("customers", sa.Column("phone", sa.String(length=20), nullable=True))
    op.add_column("customers", sa.Column("sms_opt_in", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("subscriptions", sa.Column("reminders", sa.JSON(), nullable=True))
    op.add_column("subscriptions", sa.Column("dunning_schedule_id", sa.String(length=65), nullable=True))
    op.add_column("invoices", sa.Column("late_fee_for", sa.JSON(), nullable=True))

    op.create_table(
        "late_fee_invoices",
        sa.Column("invoice_id", sa.String(length=40), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("fee_invoice_id", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("timer_id", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("invoice_id", "period"),
        sa.UniqueConstraint("fee_invoice_id"),
    )


def downgrade() -> None:
    op.drop_table("late_fee_invoices")
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("late_fee_for")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("dunning_schedule_id")
        batch.drop_column("reminders")
    with op.batch_alter_table("customers") as batch:
        for name in ("sms_opt_in", "phone", "dunning_schedule_id", "late_fee", "reminders"):
            batch.drop_column(name)
    with op.batch_alter_table("invoice_settings") as batch:
        batch.drop_column("late_fee")
        batch.drop_column("reminders")
