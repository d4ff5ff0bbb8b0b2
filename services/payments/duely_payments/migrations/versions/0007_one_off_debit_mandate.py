"""payment attempts keep the mandate a one-off bank debit from the hosted page was accepted under

Revision ID: 0007_one_off_debit_mandate
Revises: 0006_one_head
Create Date: 2026-11-30 05:45:00

A debit paid on the hosted page has no saved mandate: its PaymentIntent carries `mandate_data` (the
customer's online acceptance). The attempt keeps it (JSON) so a recovery repeats the request byte for byte.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0007_one_off_debit_mandate"
down_revision: Union[str, Sequence[str], None] = "0006_one_head"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("payment_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gateway_mandate_data", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payment_attempts", schema=None) as batch_op:
        batch_op.drop_column("gateway_mandate_data")
