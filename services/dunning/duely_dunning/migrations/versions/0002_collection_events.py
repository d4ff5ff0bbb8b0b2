"""collection states count the events dunning publishes (their aggregate_version)

Revision ID: 0002_collection_events
Revises: 0001
Create Date: 2026-11-29 12:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0002_collection_events"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("collection_states", schema=None) as batch_op:
        batch_op.add_column(sa.Column("events_published", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("collection_states", schema=None) as batch_op:
        batch_op.drop_column("events_published")
