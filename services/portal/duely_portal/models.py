"""The portal's tables: read models built from events, and first views.

The portal owns no invoices: `portal_invoices` is a copy of the latest snapshot
invoicing published (newest `version` wins), and `portal_payments` is the
history payments published, `portal_refunds` the money payments gave back. All are rebuilt from events
alone.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from duely_runtime.tables import BigId, add_runtime_tables
from duely_runtime.utc_datetime import UtcDateTime


class Base(DeclarativeBase):
    pass


class InvoiceReadModel(Base):
    __tablename__ = "portal_invoices"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(64), nullable=False)
    customer_id: Mapped[str] = mapped_column(String(64), nullable=False)
    number: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    total: Mapped[int] = mapped_column(BigInteger, nullable=False)
    amount_due: Mapped[int] = mapped_column(BigInteger, nullable=False)
    due_date: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    snapshot: Mapped[str] = mapped_column(Text, nullable=False)  # InvoiceSnapshot JSON, rendered as is
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    # The customer portal lists a customer's invoices.
    __table_args__ = (Index("ix_portal_invoices_org_customer", "organization_id", "customer_id"),)


class PaymentHistoryEntry(Base):
    __tablename__ = "portal_payments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    organization_id: Mapped[str] = mapped_column(String(64), nullable=False)
    invoice_id: Mapped[str] = mapped_column(String(64), nullable=False)
    attempt_number: Mapped[int] = mapped_column(Integer, nullable=False)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)  # succeeded | failed
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    payment_method: Mapped[str] = mapped_column(String(100), nullable=False)
    payment_id: Mapped[str | None] = mapped_column(String(64))
    failure_code: Mapped[str | None] = mapped_column(String(100))
    failure_message: Mapped[str | None] = mapped_column(Text)  # the gateway's words: kept, never shown
    failure_reason: Mapped[str | None] = mapped_column(String(40))  # customer-safe, from the event
    card_brand: Mapped[str | None] = mapped_column(String(32))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    method_type: Mapped[str | None] = mapped_column(String(32))  # card, sepa_debit, wire_transfer… (issue #9)
    reference: Mapped[str | None] = mapped_column(String(255))  # a manual payment's reference
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    # One row per attempt outcome, whatever the transport repeats.
    __table_args__ = (
        UniqueConstraint("invoice_id", "attempt_number", "outcome", name="uq_portal_payments_attempt"),
        Index("ix_portal_payments_invoice", "invoice_id", "occurred_at"),
    )


class RefundHistoryEntry(Base):
    """A refund of one of the invoice's payments (payment.refunded), shown in the payment history beside it.

    Keyed by the refund, not by the payment's attempt: one payment can be refunded in parts, each its own
    line; the same refund delivered twice is one row."""

    __tablename__ = "portal_refunds"

    organization_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    refund_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(String(64), nullable=False)
    payment_id: Mapped[str] = mapped_column(String(64), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    # requested_by_customer | duplicate | fraudulent | other, or invoice_void | invoice_uncollectible |
    # invoice_already_paid when a payment on a closed invoice went back by itself
    reason: Mapped[str] = mapped_column(String(40), nullable=False)
    manual: Mapped[bool] = mapped_column(Boolean, nullable=False)  # recorded only: paid outside the gateway
    refunded_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    __table_args__ = (Index("ix_portal_refunds_invoice", "invoice_id", "refunded_at"),)


class DebitInProgress(Base):
    """A bank debit (SEPA, ACH) payments started (payment.processing) and its outcome once known: while one
    is unsettled the page says "payment processing" instead of asking to pay."""

    __tablename__ = "portal_debits"

    attempt_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(64), nullable=False)
    invoice_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    method_type: Mapped[str] = mapped_column(String(32), nullable=False)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # when its success or failure arrived
    outcome: Mapped[str | None] = mapped_column(String(16))  # succeeded | failed


class PortalSession(Base):
    """A customer's way into the portal: the magic link the merchant (or the customer) asked for, and once
    it is opened, the browser session it became. The link is single use; the session ends after being idle
    for the configured time, at its absolute end, or when revoked (sign out, or the merchant). Only hashes
    of the link's token and of the cookie are kept."""

    __tablename__ = "portal_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # ps_…
    organization_id: Mapped[str] = mapped_column(String(64), nullable=False)
    customer_id: Mapped[str] = mapped_column(String(64), nullable=False)
    link_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    link_expires_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    requested_by: Mapped[str] = mapped_column(String(16), nullable=False)  # merchant | customer
    return_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    redeemed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # the link was opened (once)
    cookie_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str | None] = mapped_column(String(64))  # every form of the session carries it
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # the session's absolute end
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_portal_sessions_customer", "organization_id", "customer_id"),)


class PortalLinkRequest(Base):
    """A customer asked for a new sign-in link (expired link page, hosted invoice page): counted per
    customer and per address to rate limit the emails."""

    __tablename__ = "portal_link_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    organization_id: Mapped[str] = mapped_column(String(64), nullable=False)
    customer_id: Mapped[str] = mapped_column(String(64), nullable=False)
    ip_address: Mapped[str] = mapped_column(String(64), nullable=False)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    __table_args__ = (Index("ix_portal_link_requests_customer", "organization_id", "customer_id", "requested_at"),
                      Index("ix_portal_link_requests_ip", "ip_address", "requested_at"))


class InvoiceView(Base):
    __tablename__ = "invoice_views"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    invoice_id: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    organization_id: Mapped[str] = mapped_column(String(64), nullable=False)
    first_viewed_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


add_runtime_tables(Base.metadata)
