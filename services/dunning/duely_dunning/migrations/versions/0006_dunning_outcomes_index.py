"""the dunning outcomes report: collection states by organization and when dunning started

Revision ID: 0006_dunning_outcomes_index
Revises: 0005_dunning_schedules
Create Date: 2026-12-10 10:00:00
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0006_dunning_outcomes_index"
down_revision: Union[str, Sequence[str], None] = "0005_dunning_schedules"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index("ix_collection_states_org_dunning_started", "collection_states",
                    ["organization_id", "dunning_started_at"])


def downgrade() -> None:
    op.drop_index("ix_collection_states_org_dunning_started", table_name="collection_states")
