"""portal (issue #11): the customer portal's organization options

Revision ID: 0008_portal
Revises: 0007_collections
Create Date: 2026-12-01 08:00:00

Additive only: one nullable column, the whole `portal` object (show_drafts, customer_autopay); None = the
built-in defaults (drafts hidden, customers may manage their own AutoPay).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0008_portal"
down_revision: Union[str, Sequence[str], None] = "0007_collections"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("invoice_settings", sa.Column("portal", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invoice_settings") as batch:
        batch.drop_column("portal")
