"""Dunning's tables: collection state per invoice, payment failures, the collection timeline
(durable timers, one row per subject, kind and step), the history of collection events, org clocks."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON, BigInteger, Boolean, Date, Index, Integer, String, UniqueConstraint, false, text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from duely_runtime.tables import BigId, add_runtime_tables
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
    # The bank debit in flight (payment.processing seen, no outcome yet): the overdue notice waits for it.
    processing_attempt_id: Mapped[str | None] = mapped_column(String(64))
    subscription_id: Mapped[str | None] = mapped_column(String(64))
    # AutoPay charges this invoice (a dunning retry charges it again; a manual payer is never charged).
    autopay: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    autopay_payment_method_id: Mapped[str | None] = mapped_column(String(64))
    # A decline retrying cannot cure (card lost or stolen, account closed): no more dunning retries.
    hard_declined: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The collection plan fixed at approval (CollectionPlan: reminders, late fee, dunning schedule).
    collection_plan: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    # Dunning started (first failed AutoPay charge, or the due date passed): the schedule version it keeps.
    dunning_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    dunning_schedule_id: Mapped[str | None] = mapped_column(String(64))
    dunning_schedule_version: Mapped[int | None] = mapped_column(Integer)
    sent_to_collections_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    # The dunning outcomes report (reports.py) reads one organization's invoices by when dunning started (0006).
    __table_args__ = (Index("ix_collection_states_org_dunning_started", "organization_id", "dunning_started_at"),)


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
    """One entry of a collection timeline: a durable timer with a due time, fired at most once,
    cancellable until then.

    A timeline belongs to a subject: an invoice (AutoPay charges, the overdue notice, later
    reminders and dunning steps) or a saved payment method (its expiry check). One row per
    (subject, kind, step), so replays, restarts, replicas and clock advances never plan or fire
    an action twice; `step` names the occurrence within a kind ("1", a schedule step such as
    "v2:day_3", an expiry such as "2026-12"). Times are on the organization's clock (real time plus
    its test-clock offset).
    """

    __tablename__ = "timers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str] = mapped_column(String(20), default="invoice", server_default="invoice")
    subject_id: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(40), default="1", server_default="1")
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    fired_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # What firing did (e.g. invoice_overdue_emitted, skipped_paid), for operators.
    outcome: Mapped[str | None] = mapped_column(String(60))
    # What the handler needs besides the subject, fixed when planned (e.g. the AutoPay method, a card's expiry).
    detail: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        # One entry per subject, kind and step; subject first so it also serves lookups by subject.
        UniqueConstraint("subject_id", "subject_type", "kind", "step", name="uq_timers_subject_kind_step"),
        # Partial indexes hold only pending rows, so a tick costs what is due, not all invoices.
        Index("ix_timers_pending_due", "due_at", "id", postgresql_where=_PENDING, sqlite_where=_PENDING),
        Index("ix_timers_pending_org_due", "organization_id", "due_at", "id",
              postgresql_where=_PENDING, sqlite_where=_PENDING),
    )

    @property
    def invoice_id(self) -> str | None:
        return self.subject_id if self.subject_type == SUBJECT_INVOICE else None


SUBJECT_INVOICE = "invoice"
SUBJECT_PAYMENT_METHOD = "payment_method"


class CollectionEvent(Base):
    """The history of an invoice's collection: what came back (processing, payments, failures,
    skipped AutoPay, paid, reopened, voided…). One row per source fact: a redelivered or replayed
    event (same event id, or the same fact under a new id) adds nothing."""

    __tablename__ = "collection_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    invoice_id: Mapped[str] = mapped_column(String(64))
    organization_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(60))
    # The fact's own key within its type (payment id, attempt, invoice version…), else the event id.
    source_key: Mapped[str] = mapped_column(String(100))
    event_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    detail: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("event_id", name="uq_collection_events_event_id"),
        UniqueConstraint("invoice_id", "type", "source_key", name="uq_collection_events_fact"),
        Index("ix_collection_events_invoice_at", "invoice_id", "at"),
    )


class TrackedPaymentMethod(Base):
    """The newest version seen of a saved method (its events arrive on 3 topics, in any order):
    a stale attach after a detach plans nothing."""

    __tablename__ = "tracked_payment_methods"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(30))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DunningSchedule(Base):
    """An organization's dunning schedule: its current version's steps (older versions are kept in
    dunning_schedule_versions: an invoice in dunning keeps the version it started with)."""

    __tablename__ = "dunning_schedules"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer)
    steps: Mapped[list] = mapped_column(JSON)
    on_persistent_failure: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_dunning_schedules_org", "organization_id", "created_at"),
        # One default per organization; the default schedule is created once however many ask at once.
        Index("uq_dunning_schedules_one_default", "organization_id", unique=True,
              postgresql_where=text("is_default"), sqlite_where=text("is_default")),
    )


class DunningScheduleVersion(Base):
    """Every version a schedule had: what an invoice that started under it still follows."""

    __tablename__ = "dunning_schedule_versions"

    schedule_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(64))
    steps: Mapped[list] = mapped_column(JSON)
    on_persistent_failure: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ReminderLedger(Base):
    """One reminder per invoice per day (the organization's day), whoever asked: a manual reminder today
    satisfies an automatic one due today, and a second request the same day sends nothing."""

    __tablename__ = "reminder_ledger"

    invoice_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(64))
    timer_id: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OrgClock(Base):
    """A test-mode organization's clock offset; no row means real time."""

    __tablename__ = "org_clocks"

    organization_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    offset_seconds: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


runtime_tables = add_runtime_tables(Base.metadata)
