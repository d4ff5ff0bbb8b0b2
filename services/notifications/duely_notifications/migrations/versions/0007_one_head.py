"""one head: joins the email templates (0006_email_templates) and the SMS channel (0006_sms)

Revision ID: 0007_one_head
Revises: 0006_email_templates, 0006_sms
Create Date: 2026-11-30 09:00:00

A merge point, no schema change, as 0005_one_head: the two lines of work of issue #10 each added a
revision after 0005_one_head. To undo it alone, name one of its parents (`downgrade 0006_sms`).
"""
from typing import Sequence, Union


revision: str = "0007_one_head"
down_revision: Union[str, Sequence[str], None] = ("0006_email_templates", "0006_sms")
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
