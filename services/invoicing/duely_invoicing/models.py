"""Invoicing's tables. Money columns are BIGINT minor units; quantities and
percentages are kept as their exact decimal strings (SQLite has no exact
NUMERIC, and they are never summed in SQL)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from duely_runtime.tables import add_runtime_tables
from duely_runtime.utc_datetime import UtcDateTime


class Base(DeclarativeBase):
    pass


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    test_mode: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # shown in listings; the key itself never is
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # What the key may do (duely_runtime.roles); owner = full access. Migration 0009_users.
    role: Mapped[str] = mapped_column(String(20), default="owner", server_default="owner")


class User(Base):
    """A person who signs in to the dashboard (issue #12). Migration 0009_users."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("organization_id", "email", name="uq_users_org_email"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    email: Mapped[str] = mapped_column(String(320))  # lower-cased
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)  # argon2id
    status: Mapped[str] = mapped_column(String(20))  # invited | active | removed
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class UserToken(Base):
    """A one-use link token (invite or sign-in), kept as its SHA-256 only."""

    __tablename__ = "user_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # invite | sign_in
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class UserSession(Base):
    """A dashboard session: its bearer token (dsess_...) is kept as its SHA-256 only."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class SignInAttempt(Base):
    """A failed sign-in or a sign-in link asked for, per email and client IP: the rate limit counts them."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = (Index("ix_sign_in_attempts_email", "email", "attempted_at"),
                      Index("ix_sign_in_attempts_ip", "client_ip", "attempted_at"))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    email: Mapped[str] = mapped_column(String(320))
    client_ip: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))  # sign_in | link
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (Index("ix_customers_org_created", "organization_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    cc_emails: Mapped[list] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Invoice-setting overrides (None = inherit from the organization) and billing facts; see
    # domain/settings_resolution.py. Added by migration 0002_settings.
    payment_terms: Mapped[str | None] = mapped_column(String(20), nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    locale: Mapped[str | None] = mapped_column(String(20), nullable=True)
    attach_pdf: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    memo: Mapped[str | None] = mapped_column(Text, nullable=True)
    tax_exempt: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    tax_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    billing_address: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    billing_contact: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # {name, email}
    finance_contacts: Mapped[list | None] = mapped_column(JSON, nullable=True)  # [{name, email}]
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The customer's VAT treatment (duely_contracts/tax_treatment.py; None = standard, or exempt when tax_exempt)
    # and, for exempt, why. Migration 0004_tax_treatments.
    tax_treatment: Mapped[str | None] = mapped_column(String(30), nullable=True)
    tax_exemption_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    tax_exemption_reason_code: Mapped[str | None] = mapped_column(String(30), nullable=True)
    # Payment collection (migration 0006_payment_collection): the customer's AutoPay setting (a whole
    # AutopaySettings object; None = inherit) and the methods it may pay by (None = the organization's).
    autopay: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    accepted_payment_methods: Mapped[list | None] = mapped_column(JSON, nullable=True)
    # Collections (migration 0007_collections): reminders and late fee (whole ReminderSettings / LateFeeSettings
    # objects; None = inherit), the dunning schedule (None = inherit), the phone (E.164) and SMS consent.
    reminders: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    late_fee: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    dunning_schedule_id: Mapped[str | None] = mapped_column(String(65), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    sms_opt_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class NumberSequence(Base):
    """The next counter per organization and series; locked while an approval takes a number."""

    __tablename__ = "invoice_number_sequences"

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
    # the number format with its prefix filled in, plus "@YYYY" under a yearly reset (domain/numbering.py)
    series: Mapped[str] = mapped_column(String(120), primary_key=True)
    next_value: Mapped[int] = mapped_column(BigInteger, default=1)


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("organization_id", "number", name="uq_invoices_org_number"),
        Index("ix_invoices_org_created", "organization_id", "created_at", "id"),
        # Lists (kit.pagination) page newest first by (created_at, id) within one of these (0002_pricing).
        Index("ix_invoices_org_customer_created", "organization_id", "customer_id", "created_at", "id"),
        Index("ix_invoices_org_status_created", "organization_id", "status", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    payment_terms: Mapped[str] = mapped_column(String(20))
    memo: Mapped[str | None] = mapped_column(Text, nullable=True)
    subtotal: Mapped[int] = mapped_column(BigInteger)
    tax: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)
    amount_paid: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_due: Mapped[int] = mapped_column(BigInteger)
    tax_breakdown: Mapped[list] = mapped_column(JSON, default=list)
    issued_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    hosted_invoice_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Resolved settings (migration 0002_settings): taken at creation, delivery/branding retaken at approval,
    # frozen from then on. Null on invoices older than the migration.
    subscription_id: Mapped[str | None] = mapped_column(ForeignKey("subscriptions.id"), nullable=True)
    locale: Mapped[str | None] = mapped_column(String(20), nullable=True)
    attach_pdf: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    cc_emails: Mapped[list | None] = mapped_column(JSON, nullable=True)
    issuer: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # company details for the PDF
    billing_details: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # customer's address, tax id...
    resolved_settings: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # {name: {value, source}}
    # What the invoice says of its parties, frozen at approval (parties_at_approval.py, migration
    # 0004_parties_at_approval): {organization_name, customer: {its columns}, logo_sha256}. Null on drafts.
    parties_at_approval: Mapped[dict | None] = mapped_column(JSON, nullable=True)

    # Discounts and reporting currency (migration 0002_pricing, domain/pricing.py).
    discounts: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")  # invoice-wide
    total_discount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    reporting_currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    reporting: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # fixed at approval (domain/fx.py)
    # The charge reservation (migration 0003_charge_reservations, domain/charge_reservation.py): the payment
    # attempt that may charge the invoice now, and until when. Not part of the invoice's version or events.
    charge_reserved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    charge_reserved_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The VAT treatment, fixed at creation because it shapes the amounts (migration 0004_tax_treatments);
    # None on older invoices = standard.
    tax_treatment: Mapped[str | None] = mapped_column(String(30), nullable=True)
    tax_exemption_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    tax_exemption_reason_code: Mapped[str | None] = mapped_column(String(30), nullable=True)
    # Payment collection (migration 0006_payment_collection): the AutoPay plan fixed at approval (an
    # AutopayPlan as JSON; None = the customer pays by hand) and the customer credit applied at approval
    # (included in amount_paid).
    autopay_plan: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    credit_applied: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Collections (migration 0007_collections): on a late fee invoice, the overdue invoice and period it charges for
    # (a LateFeeLink as JSON). (The collection plan is read from resolved_settings, frozen at approval.)
    late_fee_for: Mapped[dict | None] = mapped_column(JSON, nullable=True)

    lines: Mapped[list["InvoiceLine"]] = relationship(order_by="InvoiceLine.position", lazy="selectin",
                                                      cascade="all, delete-orphan")
    customer: Mapped[Customer] = relationship(lazy="selectin")
    payments: Mapped[list["InvoicePayment"]] = relationship(order_by="InvoicePayment.id", lazy="selectin",
                                                            viewonly=True)


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[str] = mapped_column(String(40))  # exact decimal string, e.g. "1.5"
    unit_amount: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    tax_rates: Mapped[list] = mapped_column(JSON, default=list)  # [{id?, display_name, percentage, inclusive}]
    # Migration 0002_pricing: the line's own discounts ([{percentage|amount, discount_amount}]), its total
    # discount (own + share of the invoice's), its share of the taxes, and the service period.
    discounts: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    discount_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    tax_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    period_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    period_end: Mapped[date | None] = mapped_column(Date, nullable=True)


class InvoicePayment(Base):
    """One row per payment received; the unique payment_id makes a replayed payment a no-op.

    Only `applied` payments count in the invoice's amount_paid. A payment that landed on a
    closed invoice is `rejected` (never counted; payments refunds it) and `refunded` once
    payments says the money went back.
    """

    __tablename__ = "invoice_payments"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
                                    autoincrement=True)
    payment_id: Mapped[str] = mapped_column(String(64), unique=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    organization_id: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    succeeded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Migration 0003_charge_reservations.
    status: Mapped[str] = mapped_column(String(20), default="applied", server_default="applied")
    refund_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    refunded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Migration 0006_payment_collection. amount_applied: what counted on the invoice (None on older rows = amount);
    # credit_added: an allowed overpayment's excess, kept as the customer's credit; amount_refunded: refunds of
    # an applied payment so far, of which credit_refunded came off the customer's credit rather than the invoice.
    method_type: Mapped[str | None] = mapped_column(String(30), nullable=True)
    manual: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    amount_applied: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    credit_added: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    amount_refunded: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    credit_refunded: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class InvoicePaymentRefund(Base):
    """One row per refund of a payment counted on an invoice: a replayed `payment.refunded` changes nothing."""

    __tablename__ = "invoice_payment_refunds"

    refund_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    payment_id: Mapped[str] = mapped_column(String(64), index=True)
    invoice_id: Mapped[str] = mapped_column(String(40))
    organization_id: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int] = mapped_column(BigInteger)  # as the event said
    from_invoice: Mapped[int] = mapped_column(BigInteger)  # how much the invoice's balance grew
    from_credit: Mapped[int] = mapped_column(BigInteger)  # how much came off the customer's credit
    refunded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CustomerCreditEntry(Base):
    """The customer credit ledger: + an allowed overpayment's excess, − credit applied to an invoice at approval
    or refunded. The balance per currency is the sum. `entry_key` makes each cause count once."""

    __tablename__ = "customer_credit_entries"
    __table_args__ = (Index("ix_customer_credit_org_customer", "organization_id", "customer_id", "currency"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
                                    autoincrement=True)
    entry_key: Mapped[str] = mapped_column(String(120), unique=True)  # overpayment:<payment> | applied:<invoice>…
    organization_id: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)  # signed minor units
    reason: Mapped[str] = mapped_column(String(20))  # overpayment | applied | refunded
    payment_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    invoice_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SavedPaymentMethod(Base):
    """Read model of the customers' saved payment methods, from payments' `payment_method.*` events (newest
    version wins). Used at approval to fix the AutoPay plan, and to check a method named in a setting."""

    __tablename__ = "saved_payment_methods"
    __table_args__ = (Index("ix_saved_payment_methods_customer", "organization_id", "customer_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(30))
    brand: Mapped[str | None] = mapped_column(String(40), nullable=True)
    bank_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    last4: Mapped[str | None] = mapped_column(String(4), nullable=True)
    exp_month: Mapped[int | None] = mapped_column(Integer, nullable=True)
    exp_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(30))  # active | pending_verification | expired | detached
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    mandate_reference: Mapped[str | None] = mapped_column(String(200), nullable=True)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)  # when payments published this version


class LateFeeInvoice(Base):
    """One row per (overdue invoice, period) that was charged a late fee: the fee invoice issued for it. The primary
    key makes a redelivered `dunning.late_fee_due`, or a replica racing on the same one, create nothing new."""

    __tablename__ = "late_fee_invoices"

    invoice_id: Mapped[str] = mapped_column(String(40), primary_key=True)  # the overdue invoice
    period: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(40))
    fee_invoice_id: Mapped[str] = mapped_column(String(40), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)  # the fee, minor units of the overdue invoice's currency
    balance: Mapped[int] = mapped_column(BigInteger)  # the overdue invoice's amount_due it was computed on
    timer_id: Mapped[str | None] = mapped_column(String(120), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class InvoiceSettings(Base):
    """An organization's invoice settings, one row, created on first read. None = the built-in default
    (domain/settings_resolution.DEFAULTS), so the resolver can tell "set" from "default"."""

    __tablename__ = "invoice_settings"

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
    company_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    address: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    tax_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    logo_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    accent_color: Mapped[str | None] = mapped_column(String(7), nullable=True)
    footer: Mapped[str | None] = mapped_column(Text, nullable=True)
    invoice_prefix: Mapped[str | None] = mapped_column(String(20), nullable=True)
    number_format: Mapped[str | None] = mapped_column(String(60), nullable=True)
    number_reset: Mapped[str | None] = mapped_column(String(10), nullable=True)
    payment_terms: Mapped[str | None] = mapped_column(String(20), nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    locale: Mapped[str | None] = mapped_column(String(20), nullable=True)
    attach_pdf: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    cc_finance_contacts: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    extra_cc_emails: Mapped[list | None] = mapped_column(JSON, nullable=True)
    accepted_payment_methods: Mapped[list | None] = mapped_column(JSON, nullable=True)
    bank_details: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    default_memo: Mapped[str | None] = mapped_column(Text, nullable=True)
    email_from_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    email_reply_to: Mapped[str | None] = mapped_column(String(254), nullable=True)
    # Migration 0006_payment_collection: AutoPay's organization default (a whole AutopaySettings object), the
    # timezone AutoPay's days are counted in (IANA) and the SEPA pre-notification period in days.
    autopay: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sepa_prenotification_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Migration 0007_collections: reminders' and late fees' organization defaults (whole objects; None = built-in).
    reminders: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    late_fee: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    # Migration 0008_portal: the customer portal's options (a whole object; None = built-in defaults).
    portal: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Subscription(Base):
    """A customer's recurring agreement: status and invoice-setting overrides (None = inherit)."""

    __tablename__ = "subscriptions"
    __table_args__ = (Index("ix_subscriptions_org_created", "organization_id", "created_at", "id"),
                      Index("ix_subscriptions_org_customer", "organization_id", "customer_id"))

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    payment_terms: Mapped[str | None] = mapped_column(String(20), nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    locale: Mapped[str | None] = mapped_column(String(20), nullable=True)
    attach_pdf: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    memo: Mapped[str | None] = mapped_column(Text, nullable=True)
    cc_emails: Mapped[list] = mapped_column(JSON, default=list)
    # Migration 0006_payment_collection: the subscription's AutoPay (a whole AutopaySettings object; None = inherit).
    autopay: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    # Migration 0007_collections: the subscription's reminders (a whole ReminderSettings object) and dunning
    # schedule; None = inherit.
    reminders: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    dunning_schedule_id: Mapped[str | None] = mapped_column(String(65), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    canceled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class TaxRate(Base):
    """A reusable tax rate. Percentage and inclusive never change; lines keep their own copy anyway."""

    __tablename__ = "tax_rates"
    __table_args__ = (Index("ix_tax_rates_org_created", "organization_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    display_name: Mapped[str] = mapped_column(String(200))
    percentage: Mapped[str] = mapped_column(String(20))  # exact decimal string, e.g. "8.875"
    inclusive: Mapped[bool] = mapped_column(Boolean)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    region: Mapped[str | None] = mapped_column(String(100), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ExchangeRate(Base):
    """A manual exchange rate: 1 base = rate quote, as of rate_date. Rows are history; none is overwritten."""

    __tablename__ = "exchange_rates"
    __table_args__ = (Index("ix_exchange_rates_pair", "organization_id", "base", "quote", "rate_date"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    base: Mapped[str] = mapped_column(String(3))
    quote: Mapped[str] = mapped_column(String(3))
    rate: Mapped[str] = mapped_column(String(40))  # exact decimal string
    rate_date: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


RUNTIME_TABLES = add_runtime_tables(Base.metadata)
