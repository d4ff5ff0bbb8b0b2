"""runtime tables: parked outbox rows, and indexes for the retention worker

Revision ID: 0002_runtime_hardening
Revises: 0001
Create Date: 2026-11-29 12:00:00

"""
from typing import Sequence, Union

from alembic import op

from duely_runtime.migration_tables import harden_runtime_tables_v2, unharden_runtime_tables_v2


revision: str = "0002_runtime_hardening"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    harden_runtime_tables_v2(op)


def downgrade() -> None:
    unharden_runtime_tables_v2(op)
