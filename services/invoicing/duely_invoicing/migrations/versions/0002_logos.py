"""organization logos: the bytes fetched when a logo URL is saved, drawn on PDFs without a fetch

Revision ID: 0002_logos
Revises: 0001
Create Date: 2026-11-29 17:30:00

Logo URLs saved before this revision have no stored bytes: their PDFs render without the
logo until the organization saves its logo_url again.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0002_logos"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "organization_logos",
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("url_sha256", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.PrimaryKeyConstraint("organization_id", "url_sha256"),
    )


def downgrade() -> None:
    op.drop_table("organization_logos")
