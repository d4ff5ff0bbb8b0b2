"""manual payments (method, reference, note, paid_at, who recorded them) and refunds asked for through the API

Revision ID: 0005_manual_payments_and_refunds
Revises: 0004_attempt_card_and_reason
Create Date: 2026-11-30 04:30:00

Existing payments are gateway card payments (manual false, method_type card, paid_at their
created_at); existing refunds are automatic (manual false) and keep their gateway keys.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0005_manual_payments_and_refunds"
down_revision: Union[str, Sequence[str], None] = "0004_attempt_card_and_reason"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("manual", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("method_type", sa.String(length=32), nullable=False, server_default="card"))
        batch_op.add_column(sa.Column("reference", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("recorded_by", sa.String(length=64), nullable=True))
    op.execute("UPDATE payments SET paid_at = created_at WHERE paid_at IS NULL")
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("manual", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("requested_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_column("requested_by")
        batch_op.drop_column("manual")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_column("recorded_by")
        batch_op.drop_column("paid_at")
        batch_op.drop_column("note")
        batch_op.drop_column("reference")
        batch_op.drop_column("method_type")
        batch_op.drop_column("manual")
