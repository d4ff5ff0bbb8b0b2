"""the customer portal: sessions (magic link, then the browser session) and the customers' link requests

Revision ID: 0006_customer_portal
Revises: 0005_refunds_in_history
Create Date: 2026-12-10 09:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0006_customer_portal"
down_revision: Union[str, Sequence[str], None] = "0005_refunds_in_history"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "portal_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("link_hash", sa.String(length=64), nullable=False),
        sa.Column("link_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(length=16), nullable=False),
        sa.Column("return_url", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cookie_hash", sa.String(length=64), nullable=True),
        sa.Column("csrf_token", sa.String(length=64), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("link_hash"),
        sa.UniqueConstraint("cookie_hash"),
    )
    op.create_index("ix_portal_sessions_customer", "portal_sessions", ["organization_id", "customer_id"])
    op.create_table(
        "portal_link_requests",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("ip_address", sa.String(length=64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_portal_link_requests_customer", "portal_link_requests",
                    ["organization_id", "customer_id", "requested_at"])
    op.create_index("ix_portal_link_requests_ip", "portal_link_requests", ["ip_address", "requested_at"])


def downgrade() -> None:
    op.drop_index("ix_portal_link_requests_ip", table_name="portal_link_requests")
    op.drop_index("ix_portal_link_requests_customer", table_name="portal_link_requests")
    op.drop_table("portal_link_requests")
    op.drop_index("ix_portal_sessions_customer", table_name="portal_sessions")
    op.drop_table("portal_sessions")
