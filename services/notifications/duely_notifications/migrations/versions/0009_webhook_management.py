"""webhook endpoint management: a rolled secret's overlap, disabling (by hand or after failing), the delivery
log's attempts, replays

Revision ID: 0009_webhook_management
Revises: 0008_sms_contacts
Create Date: 2026-12-02 10:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from duely_runtime.utc_datetime import UtcDateTime


revision: str = "0009_webhook_management"
down_revision: Union[str, Sequence[str], None] = "0008_sms_contacts"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("previous_secret", sa.String(128), nullable=True))
        batch_op.add_column(sa.Column("previous_secret_expires_at", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("disabled_at", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("disabled_reason", sa.String(16), nullable=True))
        batch_op.add_column(sa.Column("failing_since", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", UtcDateTime(), nullable=True))
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("round_start", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("replays", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_webhook_deliveries_event", "webhook_deliveries", ["organization_id", "event_id"])
    op.create_table(
        "webhook_delivery_attempts",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("delivery_id", sa.String(64), nullable=False),
        sa.Column("organization_id", sa.String(64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("next_retry_at", UtcDateTime(), nullable=True),
        sa.Column("attempted_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("delivery_id", "number", name="uq_webhook_delivery_attempts_number"),
    )
    op.create_index("ix_webhook_delivery_attempts_attempted_at", "webhook_delivery_attempts", ["attempted_at"])


def downgrade() -> None:
    op.drop_index("ix_webhook_delivery_attempts_attempted_at", table_name="webhook_delivery_attempts")
    op.drop_table("webhook_delivery_attempts")
    op.drop_index("ix_webhook_deliveries_event", table_name="webhook_deliveries")
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_column("replays")
        batch_op.drop_column("round_start")
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        for column in ("updated_at", "failing_since", "disabled_reason", "disabled_at",
                       "previous_secret_expires_at", "previous_secret"):
            batch_op.drop_column(column)
