"""the attempts log: payment attempts by organization, newest first

Revision ID: 0009_attempts_log_index
Revises: 0008_payment_groups
Create Date: 2026-12-10 10:00:00
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0009_attempts_log_index"
down_revision: Union[str, Sequence[str], None] = "0008_payment_groups"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index("ix_payment_attempts_org_created", "payment_attempts", ["organization_id", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_payment_attempts_org_created", table_name="payment_attempts")
