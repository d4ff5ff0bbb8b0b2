"""invoice settings: the emails' sender name and reply-to per organization

Revision ID: 0004_email_sender
Revises: 0002_settings
Create Date: 2026-12-02

Written by hand, a branch off 0002_settings (where invoice_settings is made) like the other
hand-written revisions: every head applies.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0004_email_sender"
down_revision: Union[str, Sequence[str], None] = "0002_settings"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("invoice_settings", sa.Column("email_from_name", sa.String(length=100), nullable=True))
    op.add_column("invoice_settings", sa.Column("email_reply_to", sa.String(length=254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invoice_settings") as batch:
        batch.drop_column("email_reply_to")
        batch.drop_column("email_from_name")
