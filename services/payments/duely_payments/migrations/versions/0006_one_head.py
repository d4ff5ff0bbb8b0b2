"""one head: joins the 2 heads that parallel lines of work branched off

Revision ID: 0006_one_head
Revises: 0005_manual_payments_and_refunds, 0005_payment_methods
Create Date: 2026-11-30 05:00:00

A merge point, no schema change: a database that was at both heads moves here without running
anything, a fresh one applies every branch first. A new revision revises this one, so the service
keeps one head: tests/runtime/test_migrations.py checks it. To undo it alone, name one of its
parents (`downgrade 0005_payment_methods`): back to the 2 heads. `downgrade -1` is refused here
("Ambiguous walk": a relative step follows one parent, and a merge has 2).
"""
from typing import Sequence, Union


revision: str = "0006_one_head"
down_revision: Union[str, Sequence[str], None] = (
    "0005_manual_payments_and_refunds",
    "0005_payment_methods",
)
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
