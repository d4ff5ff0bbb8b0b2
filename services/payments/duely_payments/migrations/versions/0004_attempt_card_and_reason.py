"""payment attempts keep the card's brand and last4 and a customer-safe failure reason; joins the three heads

Revision ID: 0004_attempt_card_and_reason
Revises: 0002_refunds, 0002_runtime_hardening, 0003_invoice_payment_events
Create Date: 2026-11-29 10:00:00

A merge point: below it `alembic downgrade -1` is ambiguous; name the target revision instead.

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0004_attempt_card_and_reason"
down_revision: Union[str, Sequence[str], None] = (
    "0002_refunds", "0002_runtime_hardening", "0003_invoice_payment_events")
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("payment_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failure_reason", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("card_brand", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("card_last4", sa.String(length=4), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payment_attempts", schema=None) as batch_op:
        batch_op.drop_column("card_last4")
        batch_op.drop_column("card_brand")
        batch_op.drop_column("failure_reason")
