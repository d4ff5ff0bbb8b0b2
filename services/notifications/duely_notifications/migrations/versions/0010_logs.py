"""the logs (issue #12): messages and SMS know their customer and are listed by organization, customer or status
through an index; received_events, the organization's recent events as this service received them

Revision ID: 0010_logs
Revises: 0009_webhook_management
Create Date: 2026-12-03 10:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from duely_runtime.utc_datetime import UtcDateTime


revision: str = "0010_logs"
down_revision: Union[str, Sequence[str], None] = "0009_webhook_management"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _customer_of_invoice(table: str) -> str:
    """Backfill: the customer of each row's invoice, from the invoices read model's snapshot."""
    if op.get_bind().dialect.name == "postgresql":
        customer = "(invoices.snapshot -> 'customer' ->> 'id')"
    else:
        customer = "json_extract(invoices.snapshot, '$.customer.id')"
    return (f"UPDATE {table} SET customer_id = (SELECT {customer} FROM invoices WHERE invoices.id = {table}.invoice_id) "
            f"WHERE invoice_id IS NOT NULL")


def upgrade() -> None:
    for table in ("messages", "sms_messages"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("customer_id", sa.String(64), nullable=True))
            batch_op.drop_index(f"ix_{table}_organization_id")  # led by the indexes below
        op.execute(_customer_of_invoice(table))
        op.create_index(f"ix_{table}_org_created", table, ["organization_id", "created_at", "id"])
        op.create_index(f"ix_{table}_org_customer", table, ["organization_id", "customer_id", "created_at", "id"])
        op.create_index(f"ix_{table}_org_status", table, ["organization_id", "status", "created_at", "id"])
    op.create_table(
        "received_events",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("organization_id", sa.String(64), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("aggregate_type", sa.String(64), nullable=False),
        sa.Column("aggregate_id", sa.String(64), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.UniqueConstraint("id", name="uq_received_events_id"),
    )
    op.create_index("ix_received_events_org_seq", "received_events", ["organization_id", "seq"])
    op.create_index("ix_received_events_org_type", "received_events", ["organization_id", "type", "seq"])
    op.create_index("ix_received_events_org_aggregate", "received_events", ["organization_id", "aggregate_id", "seq"])
    op.create_index("ix_received_events_received_at", "received_events", ["received_at"])


def downgrade() -> None:
    op.drop_table("received_events")
    for table in ("messages", "sms_messages"):
        for name in ("org_status", "org_customer", "org_created"):
            op.drop_index(f"ix_{table}_{name}", table_name=table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("customer_id")
            batch_op.create_index(f"ix_{table}_organization_id", ["organization_id"])
