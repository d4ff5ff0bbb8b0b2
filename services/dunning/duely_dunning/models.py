"""Dunning's tables: collection state per invoice, payment failures, durable timers, org clocks."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger, Date, Index, Integer, String, UniqueConstraint, text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from duely_runtime.tables import add_runtime_tables
from duely_runtime.utc_datetime import UtcDateTime


class Base(DeclarativeBase):
    pass


class CollectionState(Base):
    """What dunning knows about one invoice it may have to chase, built from invoice events."""

    __tablename__ = "collection_states"

    invoice_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(64), index=True)
    number: Mapped[str | None] = mapped_column(String(64))
    customer_id: Mapped[str | None] = mapped_column(String(64))
    due_date: Mapped[date | None] = mapped_column(Date)
    amount_due: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))
    # aggregate_version of the last invoice event applied; 0 = only seen through payments.
    version: Mapped[int] = mapped_column(Integer)
    # How many events dunning published about this invoice: their aggregate_version (invoice_collection).
    events_published: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    failure_count: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_code: Mapped[str | None] = mapped_column(String(100))
    last_failure_attempt: Mapped[int | None] = mapped_column(Integer)
    last_failure_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The invoice's journey, so events dunning emits later continue its correlation.
    correlation_id: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PaymentFailure(Base):
    """One failed attempt per row, so redelivered or reordered failures count once each."""

    __tablename__ = "payment_failures"

    invoice_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    attempt_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(64))
    failure_code: Mapped[str] = mapped_column(String(100))
    failed_at: Mapped[datetime] = mapped_column(UtcDateTime)


_PENDING = text("fired_at IS NULL AND cancelled_at IS NULL")


class Timer(Base):
    """A durable timer: a row with a due time, fired at most once, cancellable until then.

    Times are on the organization's clock (real time plus its test-clock offset).
    """

    __tablename__ = "timers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    invoice_id: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    fired_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # What firing did (e.g. invoice_overdue_emitted, skipped_paid), for operators.
    outcome: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        # One timer of each kind per invoice; invoice first so it also serves lookups by invoice.
        UniqueConstraint("invoice_id", "kind", name="uq_timers_invoice_kind"),
        # Partial indexes hold only pending rows, so a tick costs what is due, not all invoices.
        Index("ix_timers_pending_due", "due_at", "id", postgresql_where=_PENDING, sqlite_where=_PENDING),
        Index("ix_timers_pending_org_due", "organization_id", "due_at", "id",
              postgresql_where=_PENDING, sqlite_where=_PENDING),
    )


class OrgClock(Base):
    """A test-mode organization's clock offset; no row means real time."""

    __tablename__ = "org_clocks"

    organization_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    offset_seconds: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


runtime_tables = add_runtime_tables(Base.metadata)
