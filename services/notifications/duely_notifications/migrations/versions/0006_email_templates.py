"""email templates per organization, name and locale; the relay's answer in the email delivery log

Revision ID: 0006_email_templates
Revises: 0005_one_head
Create Date: 2026-11-30 08:00:00

(SMS have their own table, sms_messages, in 0006_sms: `messages` needs no channel column.)
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0006_email_templates"
down_revision: Union[str, Sequence[str], None] = "0005_one_head"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "email_templates",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("locale", sa.String(length=35), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sms", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organization_id", "name", "locale", name="uq_email_templates_name_locale"),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("provider_response", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("provider_response")
    op.drop_table("email_templates")
