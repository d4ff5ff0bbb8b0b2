"""The runtime tables as every service's first migration (`0001_initial`) created them.

Frozen: `create_runtime_tables_v1(op)` is what each service's `0001_initial` runs, and a revision
must do tomorrow exactly what it did when databases were migrated through it, or a database built
from scratch stops matching the ones already deployed. So the DDL here is written out literally, as
Alembic generated it into those files (no import of `duely_runtime.tables`, whose tables may
change), and it must never change. A change to the runtime tables goes into a new revision in
every service, as `0002_runtime_hardening` (parked outbox rows, retention indexes) does on top of
this; if several services want the same later change, add `..._v2` here beside this one.
"""

from __future__ import annotations

import sqlalchemy as sa


def create_runtime_tables_v1(op) -> None:
    """dead_letters, idempotency_keys, inbox, outbox: the upgrade half of every `0001_initial`."""
    op.create_table('dead_letters',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('consumer', sa.String(length=100), nullable=False),
    sa.Column('topic', sa.String(length=100), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=True),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('replayed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('consumer', 'event_id', name='uq_dead_letters_consumer_event')
    )
    op.create_table('idempotency_keys',
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.Column('locked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'key')
    )
    op.create_table('inbox',
    sa.Column('consumer', sa.String(length=100), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('consumer', 'event_id')
    )
    op.create_table('outbox',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('topic', sa.String(length=100), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('event_id')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_outbox_unpublished', ['published_at', 'seq'], unique=False)


def drop_runtime_tables_v1(op) -> None:
    """The downgrade half of every `0001_initial`: what `create_runtime_tables_v1` created."""
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_unpublished')
        batch_op.drop_index('ix_outbox_created_at')

    op.drop_table('outbox')
    op.drop_table('inbox')
    op.drop_table('idempotency_keys')
    op.drop_table('dead_letters')
