"""dunning schedules with their versions, the reminder ledger, and what collection state needs for them

Revision ID: 0005_dunning_schedules
Revises: 0004_collection_timeline
Create Date: 2026-11-30 08:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from duely_runtime.utc_datetime import UtcDateTime


revision: str = "0005_dunning_schedules"
down_revision: Union[str, Sequence[str], None] = "0004_collection_timeline"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

STATE_COLUMNS = (
    ("subscription_id", sa.String(64), {}),
    ("autopay", sa.Boolean(), {"nullable": False, "server_default": sa.false()}),
    ("autopay_payment_method_id", sa.String(64), {}),
    ("hard_declined", sa.Boolean(), {"nullable": False, "server_default": sa.false()}),
    ("collection_plan", sa.JSON(), {}),
    ("dunning_started_at", UtcDateTime(), {}),
    ("dunning_schedule_id", sa.String(64), {}),
    ("dunning_schedule_version", sa.Integer(), {}),
    ("sent_to_collections_at", UtcDateTime(), {}),
)


def upgrade() -> None:
    op.create_table(
        "dunning_schedules",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("organization_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("on_persistent_failure", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_dunning_schedules_org", "dunning_schedules", ["organization_id", "created_at"])
    op.create_index("uq_dunning_schedules_one_default", "dunning_schedules", ["organization_id"], unique=True,
                    postgresql_where=sa.text("is_default"), sqlite_where=sa.text("is_default"))
    op.create_table(
        "dunning_schedule_versions",
        sa.Column("schedule_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("organization_id", sa.String(64), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("on_persistent_failure", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "reminder_ledger",
        sa.Column("invoice_id", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("organization_id", sa.String(64), nullable=False),
        sa.Column("timer_id", sa.String(40), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    with op.batch_alter_table("collection_states", schema=None) as batch_op:
        for name, type_, options in STATE_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=options.get("nullable", True),
                                          server_default=options.get("server_default")))


def downgrade() -> None:
    with op.batch_alter_table("collection_states", schema=None) as batch_op:
        for name, _, _ in reversed(STATE_COLUMNS):
            batch_op.drop_column(name)
    op.drop_table("reminder_ledger")
    op.drop_table("dunning_schedule_versions")
    op.drop_index("uq_dunning_schedules_one_default", table_name="dunning_schedules")
    op.drop_index("ix_dunning_schedules_org", table_name="dunning_schedules")
    op.drop_table("dunning_schedules")
