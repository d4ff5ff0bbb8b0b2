"""payment groups: one charge paying several invoices (the portal's "pay selected")

Revision ID: 0008_payment_groups
Revises: 0007_one_off_debit_mandate
Create Date: 2026-11-30 10:45:00

Each invoice keeps its own attempt (its share, `group_id`); the group holds the one gateway charge.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

TS = sa.DateTime(timezone=True)

revision: str = "0008_payment_groups"
down_revision: Union[str, Sequence[str], None] = "0007_one_off_debit_mandate"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "payment_groups",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("organization_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("payment_method", sa.String(255), nullable=False),
        sa.Column("gateway_customer", sa.String(255), nullable=True),
        sa.Column("gateway_reference", sa.String(255), nullable=True),
        sa.Column("failure_code", sa.String(100), nullable=True),
        sa.Column("failure_reason", sa.String(40), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("completed_at", TS, nullable=True),
    )
    op.create_index("ix_payment_groups_customer", "payment_groups", ["organization_id", "customer_id", "created_at"])
    with op.batch_alter_table("payment_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_id", sa.String(64), nullable=True))
        batch_op.create_index("ix_payment_attempts_group_id", ["group_id"])


def downgrade() -> None:
    with op.batch_alter_table("payment_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_attempts_group_id")
        batch_op.drop_column("group_id")
    op.drop_index("ix_payment_groups_customer", table_name="payment_groups")
    op.drop_table("payment_groups")
