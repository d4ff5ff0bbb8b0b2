"""one head: joins the 2 heads that parallel lines of work branched off

Revision ID: 0003_one_head
Revises: 0002_collection_events, 0002_runtime_hardening
Create Date: 2026-11-30 12:00:00

A merge point, no schema change: a database that was at all 2 heads moves here without running
anything, a fresh one applies every branch first. A new revision revises the head (this one until
the next), not 0001, so the service keeps one head: tests/runtime/test_migrations.py checks it.
To undo it alone, name one of its parents (`downgrade 0002_runtime_hardening`): back to the 2 heads.
`downgrade -1` is refused here ("Ambiguous walk": a relative step follows one parent, and a merge
has 2).
"""
from typing import Sequence, Union


revision: str = "0003_one_head"
down_revision: Union[str, Sequence[str], None] = (
    "0002_collection_events",
    "0002_runtime_hardening",
)
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
