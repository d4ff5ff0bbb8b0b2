"""The runtime tables' migrations, the same in every service: a pair of functions is one revision's body.

`create_runtime_tables_v1(op)` is what every service's `0001_initial` runs, `harden_runtime_tables_v2(op)`
what every `0002_runtime_hardening` runs on top (parked outbox rows, retention indexes).

Frozen: a revision must do tomorrow exactly what it did when databases were migrated through it, or a
database built from scratch stops matching the ones already deployed. So the DDL here is written out
literally, as it stood in those revision files (no import of `duely_runtime.tables`, whose tables may
change), and none of it may ever change. A later change to the runtime tables is a new revision in
every service, whose body may be a new `..._v3` function here beside these.
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


def harden_runtime_tables_v2(op) -> None:
    """The upgrade of every `0002_runtime_hardening`: parked outbox rows, indexes for the retention worker."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))
    op.create_index("ix_inbox_processed_at", "inbox", ["processed_at"])
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])
    op.create_index("ix_dead_letters_created_at", "dead_letters", ["created_at"])


def unharden_runtime_tables_v2(op) -> None:
    """The downgrade of every `0002_runtime_hardening`: back to what `create_runtime_tables_v1` made."""
    op.drop_index("ix_dead_letters_created_at", table_name="dead_letters")
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_index("ix_inbox_processed_at", table_name="inbox")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("last_error")
        batch_op.drop_column("parked_at")
