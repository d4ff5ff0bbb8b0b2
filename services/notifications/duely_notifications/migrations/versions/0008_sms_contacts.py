"""customers' phone and SMS consent as they are now (withdrawn consent holds for invoices issued before)

Revision ID: 0008_sms_contacts
Revises: 0007_one_head
Create Date: 2026-11-30 10:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from duely_runtime.utc_datetime import UtcDateTime


revision: str = "0008_sms_contacts"
down_revision: Union[str, Sequence[str], None] = "0007_one_head"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "sms_contacts",
        sa.Column("customer_id", sa.String(64), primary_key=True),
        sa.Column("organization_id", sa.String(64), nullable=False),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("sms_opt_in", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sms_contacts")
