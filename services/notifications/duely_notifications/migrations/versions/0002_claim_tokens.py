"""claim tokens on emails and webhook deliveries; webhook error texts from bodies are dropped

Revision ID: 0002_claim_tokens
Revises: 0001
Create Date: 2026-11-29 17:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0002_claim_tokens"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("messages", sa.Column("claim_token", sa.String(length=32), nullable=True))
    op.add_column("webhook_deliveries", sa.Column("claim_token", sa.String(length=32), nullable=True))
    # Earlier versions stored "HTTP <code>: <response body>"; keep the status, drop what the endpoint said.
    op.execute("UPDATE webhook_deliveries SET last_error = 'HTTP ' || CAST(last_status_code AS VARCHAR) "
               "WHERE last_error LIKE 'HTTP %:%' AND last_status_code IS NOT NULL")


def downgrade() -> None:
    op.drop_column("webhook_deliveries", "claim_token")
    op.drop_column("messages", "claim_token")
