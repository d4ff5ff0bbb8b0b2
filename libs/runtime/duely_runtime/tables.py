"""Tables every service has next to its own: outbox, inbox, idempotency keys, dead letters.

Call `add_runtime_tables(Base.metadata)` once in a service's models module so
Alembic sees them in that service's database.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger, Column, Index, Integer, MetaData, String, Table, Text, UniqueConstraint,
)

from duely_runtime.utc_datetime import UtcDateTime

# SQLite only auto-increments INTEGER PRIMARY KEY; Postgres gets a BIGINT identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


@dataclass(frozen=True)
class RuntimeTables:
    outbox: Table
    inbox: Table
    idempotency_keys: Table
    dead_letters: Table


_BY_METADATA: dict[int, RuntimeTables] = {}


def add_runtime_tables(metadata: MetaData) -> RuntimeTables:
    if id(metadata) in _BY_METADATA:
        return _BY_METADATA[id(metadata)]
    outbox = Table(
        "outbox", metadata,
        Column("seq", BigId, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("topic", String(100), nullable=False),
        Column("key", String(100), nullable=False),
        Column("payload", Text, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("published_at", UtcDateTime, nullable=True),
        # Set when the broker can never take the row (e.g. over the size limit): the relay skips it.
        Column("parked_at", UtcDateTime, nullable=True),
        Column("last_error", Text, nullable=True),
        # The relay scans unpublished rows in order; replay scans by time.
        Index("ix_outbox_unpublished", "published_at", "seq"),
        Index("ix_outbox_created_at", "created_at"),
    )
    inbox = Table(
        "inbox", metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("event_type", String(100), nullable=False),
        Column("processed_at", UtcDateTime, nullable=False),
        Index("ix_inbox_processed_at", "processed_at"),  # retention deletes by age
    )
    idempotency_keys = Table(
        "idempotency_keys", metadata,
        Column("scope", String(64), primary_key=True),
        Column("key", String(255), primary_key=True),
        Column("request_hash", String(64), nullable=False),
        Column("status_code", Integer, nullable=True),
        Column("response_body", Text, nullable=True),
        Column("locked_at", UtcDateTime, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Index("ix_idempotency_keys_created_at", "created_at"),
    )
    dead_letters = Table(
        "dead_letters", metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("consumer", String(100), nullable=False),
        Column("topic", String(100), nullable=False),
        Column("event_id", String(36), nullable=True),
        Column("payload", Text, nullable=False),
        Column("error", Text, nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("replayed_at", UtcDateTime, nullable=True),
        UniqueConstraint("consumer", "event_id", name="uq_dead_letters_consumer_event"),
        Index("ix_dead_letters_created_at", "created_at"),
    )
    tables = RuntimeTables(outbox, inbox, idempotency_keys, dead_letters)
    _BY_METADATA[id(metadata)] = tables
    return tables
