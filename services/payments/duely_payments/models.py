"""Payments' own tables: the invoices read model, payment attempts, payments and refunds."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Boolean, Date, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from duely_contracts.models import CardRef
from duely_runtime.tables import add_runtime_tables
from duely_runtime.utc_datetime import UtcDateTime


class Base(DeclarativeBase):
    pass


class Invoice(Base):
    """What charging and the payment events need to know about a payable invoice.

    Built from invoicing's events (event-carried state); `version` is the
    invoice's aggregate_version, so a stale event never overwrites a newer one.
    """

    __tablename__ = "invoices"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(64), index=True)
    number: Mapped[str | None] = mapped_column(String(64))
    organization_name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[int] = mapped_column(BigInteger)
    amount_due: Mapped[int] = mapped_column(BigInteger)
    due_date: Mapped[date | None] = mapped_column(Date)
    customer: Mapped[dict] = mapped_column(JSON)  # a CustomerRef: id, name, email, cc_emails
    hosted_invoice_url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    # Events payments published about this invoice: their aggregate_version (invoice_payments).
    payment_events: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PaymentAttempt(Base):
    """One try at charging an invoice. Written before the gateway call, completed after it.

    `gateway_idempotency_key` is derived from the invoice and attempt number, so
    repeating the call (after a crash) replays the first result: never two charges.
    """

    __tablename__ = "payment_attempts"
    __table_args__ = (
        UniqueConstraint("invoice_id", "attempt_number", name="uq_payment_attempts_invoice_number"),
        # At most one attempt in flight per invoice, whatever the races.
        Index("uq_payment_attempts_one_processing", "invoice_id", unique=True,
              postgresql_where=text("status = 'processing'"), sqlite_where=text("status = 'processing'")),
        # The recovery worker's scan: cost follows the number of stuck attempts only.
        Index("ix_payment_attempts_recovery", "status", "next_check_at"),
        # A gateway event names the PaymentIntent: find its attempt.
        Index("ix_payment_attempts_gateway_reference", "gateway_reference"),
        # The attempts log (GET /v1/payment_attempts), newest first per organization (0009).
        Index("ix_payment_attempts_org_created", "organization_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(64), index=True)
    invoice_id: Mapped[str] = mapped_column(String(64), index=True)
    attempt_number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # processing | succeeded | failed | invalid (never listed)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    payment_method: Mapped[str] = mapped_column(String(255))
    gateway_idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    gateway_reference: Mapped[str | None] = mapped_column(String(255))  # the PaymentIntent id
    failure_code: Mapped[str | None] = mapped_column(String(100))
    failure_message: Mapped[str | None] = mapped_column(Text)  # the gateway's words: the merchant's, not the customer's
    failure_reason: Mapped[str | None] = mapped_column(String(40))  # customer-safe (domain/charging.py)
    card_brand: Mapped[str | None] = mapped_column(String(32))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    payment_id: Mapped[str | None] = mapped_column(String(64))
    correlation_id: Mapped[str | None] = mapped_column(String(64))  # the journey a recovery continues
    gateway_checks: Mapped[int] = mapped_column(Integer, default=0)
    next_check_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Saved methods (AutoPay) and bank debits. A typed card (the pay button) leaves these at their defaults,
    # so its gateway request is the one it always was.
    method_type: Mapped[str] = mapped_column(String(32), default="card", server_default="card")
    gateway_customer: Mapped[str | None] = mapped_column(String(255))  # the gateway Customer of a saved method
    gateway_mandate: Mapped[str | None] = mapped_column(String(255))  # bank debits: the mandate debited under
    # A one-off debit from the hosted page: the PaymentIntent's `mandate_data` (JSON), the acceptance it carries.
    gateway_mandate_data: Mapped[str | None] = mapped_column(Text)
    autopay: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A bank debit the gateway accepted and settles later: when it said `processing`, and when we last asked it.
    settling_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    gateway_polled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Paid together with other invoices in one charge (group_payments.py): the group's gateway call is the
    # charge; this attempt is the invoice's share of it.
    group_id: Mapped[str | None] = mapped_column(String(64), index=True)

    @property
    def card(self) -> CardRef | None:
        """The card as the API and the events show it; None when the gateway gave no details."""
        if not (self.card_brand or self.card_last4):
            return None
        return CardRef(brand=self.card_brand, last4=self.card_last4)


class PaymentGroup(Base):
    """One charge paying several invoices of one customer (the portal's "pay selected"). Each invoice has its
    own attempt (group_id) holding its share; the gateway sees one PaymentIntent, created with the group's
    own idempotency key, so finishing the group again (after a crash) replays that one charge."""

    __tablename__ = "payment_groups"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))  # processing | succeeded | failed | invalid
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    payment_method: Mapped[str] = mapped_column(String(255))
    gateway_customer: Mapped[str | None] = mapped_column(String(255))  # a saved method: its gateway Customer
    gateway_reference: Mapped[str | None] = mapped_column(String(255))  # the PaymentIntent
    failure_code: Mapped[str | None] = mapped_column(String(100))
    failure_reason: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_payment_groups_customer", "organization_id", "customer_id", "created_at"),)


class Payment(Base):
    """Money collected for an invoice: one per succeeded attempt, or one recorded by hand (`manual`).

    A manual payment has no attempt: `attempt_id` holds the id of the invoicing reservation it took
    (its payment.succeeded ends that hold) and `attempt_number` its place in the invoice's one
    sequence of attempts and manual payments (repository.last_attempt_number).
    """

    __tablename__ = "payments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(64))
    invoice_id: Mapped[str] = mapped_column(String(64), index=True)
    attempt_id: Mapped[str] = mapped_column(String(64), unique=True)
    attempt_number: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    payment_method: Mapped[str] = mapped_column(String(255))
    gateway_reference: Mapped[str | None] = mapped_column(String(255))  # PaymentIntent id
    gateway_charge: Mapped[str | None] = mapped_column(String(255))  # Charge id
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Manual payments (manual_payments.py); gateway payments keep the defaults.
    manual: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    method_type: Mapped[str] = mapped_column(String(32), default="card", server_default="card")
    reference: Mapped[str | None] = mapped_column(String(200))  # what the payer quoted (wire, check number)
    note: Mapped[str | None] = mapped_column(Text)  # the merchant's own words, never sent to the customer
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # when the money arrived; None: created_at
    recorded_by: Mapped[str | None] = mapped_column(String(64))  # the API key that recorded it

    __table_args__ = (Index("ix_payments_org_created", "organization_id", "created_at"),)


class Refund(Base):
    """Money given back for a payment. Written `pending` before the gateway call, completed after it.

    `gateway_idempotency_key` is derived from the payment (domain/refunding.py), so asking the
    gateway again (a retry, a crash, a replayed event) never refunds twice. Today only automatic
    refunds exist (reason: the payment landed on a closed invoice); the public refunds API will
    add its own reasons and keys.
    """

    __tablename__ = "refunds"
    __table_args__ = (
        # The refund worker's scan: cost follows the number of refunds still to finish.
        Index("ix_refunds_due", "status", "next_check_at"),
        Index("ix_refunds_org_created", "organization_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(64))
    invoice_id: Mapped[str] = mapped_column(String(64), index=True)
    payment_id: Mapped[str] = mapped_column(String(64), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # Automatic: invoice_void | invoice_uncollectible | invoice_already_paid; API: requested_by_customer |
    # duplicate | fraudulent | other.
    reason: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))  # pending | succeeded | failed
    gateway_idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    gateway_reference: Mapped[str | None] = mapped_column(String(255))  # the gateway's refund id
    failure_message: Mapped[str | None] = mapped_column(Text)
    correlation_id: Mapped[str | None] = mapped_column(String(64))
    gateway_checks: Mapped[int] = mapped_column(Integer, default=0)
    next_check_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    manual: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # recorded, not sent
    requested_by: Mapped[str | None] = mapped_column(String(64))  # the API key that asked; None: automatic


# -- saved payment methods, gateway events, AutoPay requests, expiry warnings (issue #9) -------------

class GatewayCustomer(Base):
    """The gateway Customer that holds one of our customers' saved methods: created once per (org, customer)."""

    __tablename__ = "gateway_customers"
    __table_args__ = (UniqueConstraint("organization_id", "customer_id", name="uq_gateway_customers_customer"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(64))
    gateway_id: Mapped[str] = mapped_column(String(255), unique=True)  # cus_… at the gateway
    customer: Mapped[dict] = mapped_column(JSON)  # the CustomerRef invoicing gave when it was created or last read
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SavedPaymentMethod(Base):
    """A customer's saved payment method. Its id is the gateway's PaymentMethod id (pm_…): the AutoPay
    setting, the attempts and the events all name it the same way. Never a full number."""

    __tablename__ = "payment_methods"
    __table_args__ = (Index("ix_payment_methods_customer", "organization_id", "customer_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(64))
    gateway_customer: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(32))  # card | us_bank_account | sepa_debit
    brand: Mapped[str | None] = mapped_column(String(32))  # cards
    bank_name: Mapped[str | None] = mapped_column(String(200))  # us_bank_account
    bank_code: Mapped[str | None] = mapped_column(String(32))  # sepa_debit
    country: Mapped[str | None] = mapped_column(String(2))  # sepa_debit
    account_holder_type: Mapped[str | None] = mapped_column(String(32))  # us_bank_account
    last4: Mapped[str | None] = mapped_column(String(4))
    exp_month: Mapped[int | None] = mapped_column(Integer)
    exp_year: Mapped[int | None] = mapped_column(Integer)
    # active | pending_verification | detached; `expired` is computed from exp_month/exp_year when read.
    status: Mapped[str] = mapped_column(String(32))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    gateway_setup_intent: Mapped[str | None] = mapped_column(String(255))
    gateway_mandate: Mapped[str | None] = mapped_column(String(255))  # mandate_… at the gateway
    mandate_reference: Mapped[str | None] = mapped_column(String(255))  # what the bank statement shows (SEPA)
    mandate_accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    mandate_ip_address: Mapped[str | None] = mapped_column(String(64))
    mandate_user_agent: Mapped[str | None] = mapped_column(Text)
    authorization_text: Mapped[str | None] = mapped_column(Text)  # ACH: the words the customer accepted
    version: Mapped[int] = mapped_column(Integer, default=1)  # aggregate_version of payment_method.* events
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    detached_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class GatewayEvent(Base):
    """A gateway event (Stripe webhook) already handled: its id, so a redelivery changes nothing."""

    __tablename__ = "gateway_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # evt_…
    type: Mapped[str] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(40))  # handled | ignored
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AutopayRequest(Base):
    """Dunning asked for an AutoPay charge: one row per timer, written in the consumer's transaction.

    `attempt_id` is chosen and stored before invoicing is asked for the reservation, so after a crash the
    same attempt is resumed (the reservation and the gateway key are both keyed by it), never a second one.
    """

    __tablename__ = "autopay_requests"
    __table_args__ = (Index("ix_autopay_requests_due", "status", "next_check_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    timer_id: Mapped[str] = mapped_column(String(255), unique=True)
    organization_id: Mapped[str] = mapped_column(String(64))
    invoice_id: Mapped[str] = mapped_column(String(64), index=True)
    payment_method_id: Mapped[str | None] = mapped_column(String(255))  # as asked; null = the customer's default
    status: Mapped[str] = mapped_column(String(20))  # pending | started | skipped | failed
    attempt_id: Mapped[str | None] = mapped_column(String(64))
    skip_reason: Mapped[str | None] = mapped_column(String(40))
    correlation_id: Mapped[str | None] = mapped_column(String(64))
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_check_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ExpiryWarning(Base):
    """`payment_method.expiring` was published for this (method, expiry): never twice."""

    __tablename__ = "payment_method_expiry_warnings"
    __table_args__ = (UniqueConstraint("payment_method_id", "exp_month", "exp_year",
                                       name="uq_expiry_warnings_method_expiry"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(64))
    payment_method_id: Mapped[str] = mapped_column(String(255))
    exp_month: Mapped[int] = mapped_column(Integer)
    exp_year: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


add_runtime_tables(Base.metadata)
