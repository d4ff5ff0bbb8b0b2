"""the collection timeline: timers become entries per (subject, kind, step); history of collection events

Revision ID: 0004_collection_timeline
Revises: 0003_one_head
Create Date: 2026-11-30 13:00:00

Existing timer rows stay valid: they are invoice entries (`subject_type` invoice, `subject_id` the
former `invoice_id`) of step "1" (every invoice had at most one `overdue` timer).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from duely_runtime.tables import BigId


revision: str = "0004_collection_timeline"
down_revision: Union[str, Sequence[str], None] = "0003_one_head"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

PENDING = sa.text("fired_at IS NULL AND cancelled_at IS NULL")


def _drop_pending_indexes() -> None:
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_index("ix_timers_pending_org_due", postgresql_where=PENDING, sqlite_where=PENDING)
        batch_op.drop_index("ix_timers_pending_due", postgresql_where=PENDING, sqlite_where=PENDING)


def _create_pending_indexes() -> None:
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.create_index("ix_timers_pending_due", ["due_at", "id"], unique=False,
                              postgresql_where=PENDING, sqlite_where=PENDING)
        batch_op.create_index("ix_timers_pending_org_due", ["organization_id", "due_at", "id"], unique=False,
                              postgresql_where=PENDING, sqlite_where=PENDING)


def upgrade() -> None:
    # SQLite rebuilds the table in batch mode; the partial indexes are dropped and made again explicitly.
    _drop_pending_indexes()
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_constraint("uq_timers_invoice_kind", type_="unique")
        batch_op.alter_column("invoice_id", new_column_name="subject_id", existing_type=sa.String(64),
                              existing_nullable=False)
        batch_op.add_column(sa.Column("subject_type", sa.String(20), nullable=False, server_default="invoice"))
        batch_op.add_column(sa.Column("step", sa.String(40), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("detail", sa.JSON(), nullable=True))
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_timers_subject_kind_step",
                                          ["subject_id", "subject_type", "kind", "step"])
    _create_pending_indexes()

    with op.batch_alter_table("collection_states", schema=None) as batch_op:
        batch_op.add_column(sa.Column("processing_attempt_id", sa.String(64), nullable=True))

    op.create_table(
        "collection_events",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("invoice_id", sa.String(64), nullable=False),
        sa.Column("organization_id", sa.String(64), nullable=False),
        sa.Column("type", sa.String(60), nullable=False),
        sa.Column("source_key", sa.String(100), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("event_id", name="uq_collection_events_event_id"),
        sa.UniqueConstraint("invoice_id", "type", "source_key", name="uq_collection_events_fact"),
    )
    op.create_index("ix_collection_events_invoice_at", "collection_events", ["invoice_id", "at"])

    op.create_table(
        "tracked_payment_methods",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("organization_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("tracked_payment_methods")
    op.drop_index("ix_collection_events_invoice_at", table_name="collection_events")
    op.drop_table("collection_events")
    with op.batch_alter_table("collection_states", schema=None) as batch_op:
        batch_op.drop_column("processing_attempt_id")
    # Only invoice entries of step "1" fit the old shape: the others go.
    op.execute("DELETE FROM timers WHERE subject_type <> 'invoice' OR step <> '1'")
    _drop_pending_indexes()
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_constraint("uq_timers_subject_kind_step", type_="unique")
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_column("detail")
        batch_op.drop_column("step")
        batch_op.drop_column("subject_type")
        batch_op.alter_column("subject_id", new_column_name="invoice_id", existing_type=sa.String(64),
                              existing_nullable=False)
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_timers_invoice_kind", ["invoice_id", "kind"])
    _create_pending_indexes()
