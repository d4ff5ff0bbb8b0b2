"""The portal's use cases. Guard clauses first, then the work.

The event handlers' run in the caller's transaction; the page's own open their transactions,
and hold none while another service answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts.events import (
    InvoicePaymentFailed, InvoiceViewed, PaymentProcessing, PaymentRefunded, PaymentSucceeded,
)
from duely_contracts.models import CardRef, InvoiceSnapshot
from duely_runtime.db import Database
from duely_runtime.invoicing_client import InvoicingClient
from duely_runtime.kit.clock import utcnow
from duely_runtime.outbox import Outbox
from duely_portal import repository
from duely_portal.payments_client import PaymentOutcome, PaymentsClient
from duely_portal.domain.page_state import invoice_methods
from duely_portal.domain.presentation import is_known_payment_method, is_payable
from duely_portal.models import DebitInProgress, PaymentHistoryEntry, RefundHistoryEntry

DEBIT_TYPES = ("sepa_debit", "us_bank_account", "ach_debit")


@dataclass(frozen=True)
class HostedInvoice:
    snapshot: InvoiceSnapshot
    version: int
    payments: list[PaymentHistoryEntry]
    debits: list[DebitInProgress] = ()  # bank debits started and not settled yet
    refunds: list[RefundHistoryEntry] = ()  # money given back, each refund once


# -- read models (fed by events) ---------------------------------------------------

async def apply_invoice_snapshot(session: AsyncSession, snapshot: InvoiceSnapshot, version: int) -> bool:
    return await repository.upsert_invoice(session, snapshot, version, utcnow())


async def record_payment_succeeded(session: AsyncSession, organization_id: str, event: PaymentSucceeded) -> bool:
    if event.method_type in DEBIT_TYPES:
        await repository.settle_debits(session, organization_id, event.invoice_id, "succeeded", event.succeeded_at,
                                       attempt_id=None)
    return await repository.add_payment(
        session, organization_id=organization_id, invoice_id=event.invoice_id,
        attempt_number=event.attempt_number, outcome="succeeded", amount=event.amount, currency=event.currency,
        payment_method=event.payment_method, payment_id=event.payment_id, occurred_at=event.succeeded_at,
        method_type=event.method_type, reference=event.reference if event.manual else None,
        **_card_columns(event.card))


async def record_payment_failed(session: AsyncSession, organization_id: str, event: InvoicePaymentFailed) -> bool:
    if event.method_type in DEBIT_TYPES:  # a debit that failed (late): the invoice is payable again
        await repository.settle_debits(session, organization_id, event.invoice_id, "failed", event.failed_at)
    return await repository.add_payment(
        session, organization_id=organization_id, invoice_id=event.invoice_id,
        attempt_number=event.attempt_number, outcome="failed", amount=event.amount, currency=event.currency,
        payment_method=event.payment_method, failure_code=event.failure_code,
        failure_message=event.failure_message, failure_reason=event.failure_reason, occurred_at=event.failed_at,
        method_type=event.method_type, **_card_columns(event.card))


async def record_debit_processing(session: AsyncSession, organization_id: str, event: PaymentProcessing) -> bool:
    """A bank debit started. Its outcome may have arrived first (events of different types travel on
    different topics): then it is stored settled."""
    outcome = await repository.outcome_since(session, organization_id, event.invoice_id, event.started_at)
    return await repository.add_debit(
        session, attempt_id=event.attempt_id, organization_id=organization_id, invoice_id=event.invoice_id,
        amount=event.amount, currency=event.currency, method_type=event.method_type, started_at=event.started_at,
        settled_at=event.started_at if outcome else None, outcome=outcome)


async def record_refund(session: AsyncSession, organization_id: str, event: PaymentRefunded) -> bool:
    """A refund of one of the invoice's payments, partial or whole, asked for or automatic (a payment that
    landed on a closed invoice). Stored under the envelope's organization: only its own invoice shows it."""
    return await repository.add_refund(
        session, organization_id=organization_id, refund_id=event.refund_id, invoice_id=event.invoice_id,
        payment_id=event.payment_id, amount=event.amount, currency=event.currency, reason=event.reason,
        manual=event.manual, refunded_at=event.refunded_at)


def _card_columns(card: CardRef | None) -> dict:
    return {"card_brand": card.brand if card else None, "card_last4": card.last4 if card else None}


# -- the hosted page ---------------------------------------------------------------

async def find_hosted_invoice(session: AsyncSession, organization_id: str, invoice_id: str) -> HostedInvoice | None:
    row = await repository.get_invoice(session, organization_id, invoice_id)
    if row is None:
        return None
    payments = await repository.payment_history(session, organization_id, invoice_id)
    debits = await repository.open_debits(session, organization_id, invoice_id)
    refunds = await repository.refund_history(session, organization_id, invoice_id)
    return HostedInvoice(InvoiceSnapshot.model_validate_json(row.snapshot), row.version, payments, debits, refunds)


async def open_invoice(db: Database, invoicing: InvoicingClient, organization_id: str,
                       invoice_id: str) -> HostedInvoice | None:
    """The invoice a hosted link names, from the read model or else from invoicing; None when there
    is no page to show. Raises InvoicingUnavailable when only invoicing could say."""
    async with db.transaction() as session:
        found = await find_hosted_invoice(session, organization_id, invoice_id)
    if found is not None:
        return found
    # No transaction is held while invoicing answers.
    snapshot = await fetch_issued_invoice(invoicing, organization_id, invoice_id)
    if snapshot is None:
        return None
    async with db.transaction() as session:
        await remember_fetched_invoice(session, snapshot)
        return await find_hosted_invoice(session, organization_id, invoice_id)


async def fetch_issued_invoice(invoicing: InvoicingClient, organization_id: str,
                               invoice_id: str) -> InvoiceSnapshot | None:
    """Ask invoicing directly: the read model can lag behind the email that carried the link,
    and a person is waiting. Drafts have no hosted page."""
    snapshot = await invoicing.fetch_invoice(organization_id, invoice_id)
    if snapshot is None or snapshot.status == "draft":
        return None
    return snapshot


async def remember_fetched_invoice(session: AsyncSession, snapshot: InvoiceSnapshot) -> None:
    """Keep what invoicing told us; later events still win by version."""
    await repository.upsert_invoice(session, snapshot, snapshot.version, utcnow())


async def record_view(db: Database, outbox: Outbox, invoice: HostedInvoice) -> bool:
    """The first open of an invoice's page publishes invoice.viewed; later opens do nothing."""
    snapshot = invoice.snapshot
    now = utcnow()
    async with db.transaction() as session:
        if not await repository.record_first_view(session, snapshot.organization_id, snapshot.id, now):
            return False
        await outbox.emit(session, "invoice.viewed",
                          InvoiceViewed(invoice_id=snapshot.id, invoice_number=snapshot.number, viewed_at=now),
                          # Published once per invoice (the first view): version 1 of its invoice_view aggregate.
                          organization_id=snapshot.organization_id, aggregate_id=snapshot.id, aggregate_version=1)
    return True


_ATTEMPT_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


async def pay_hosted_invoice(payments: PaymentsClient, invoice: HostedInvoice, payment_method: str,
                             attempt_key: str) -> PaymentOutcome:
    """Charge now through payments. `attempt_key` comes from the rendered form, so a
    double-submitted form is one attempt (payments dedupes on the idempotency key)."""
    snapshot = invoice.snapshot
    if not is_known_payment_method(payment_method):
        return PaymentOutcome("failed", "payment_method_invalid")
    if not is_payable(snapshot.status, snapshot.amount_due):
        return PaymentOutcome("failed", "invoice_not_payable")
    if "card" not in invoice_methods(snapshot):
        return PaymentOutcome("failed", "card_not_accepted")  # the page shows no form; a forged post gets this
    if not _ATTEMPT_KEY.match(attempt_key):
        return PaymentOutcome("failed", "form_invalid")
    return await payments.pay_invoice(snapshot.organization_id, snapshot.id, payment_method,
                                      idempotency_key=f"portal-pay-{snapshot.id}-{attempt_key}")


# The hosted page's bank debits: the form's choice ⇔ the gateway's PaymentMethod type, and its currency.
DEBIT_FORMS = {"sepa_debit": ("sepa_debit", "eur"), "ach_debit": ("us_bank_account", "usd")}
_GATEWAY_PM = re.compile(r"^pm_[A-Za-z0-9]{6,64}$")


def offered_debits(snapshot) -> tuple[str, ...]:
    """The bank debits the page offers: accepted by the invoice, in the one currency each debits in."""
    methods = invoice_methods(snapshot)
    return tuple(kind for kind, (_, currency) in DEBIT_FORMS.items()
                 if kind in methods and snapshot.currency.lower() == currency)


async def pay_hosted_invoice_by_debit(payments: PaymentsClient, invoice: HostedInvoice, debit: str,
                                      payment_method: str, attempt_key: str, *, mandate_accepted: bool,
                                      ip_address: str, user_agent: str, accepted_at: int) -> PaymentOutcome:
    """A one-off bank debit: the PaymentMethod the page's script created at the gateway (only its id comes
    here), and the mandate the customer accepted on the page, as its online acceptance."""
    snapshot = invoice.snapshot
    if not is_payable(snapshot.status, snapshot.amount_due):
        return PaymentOutcome("failed", "invoice_not_payable")
    if debit not in DEBIT_FORMS or debit not in invoice_methods(snapshot):
        return PaymentOutcome("failed", "payment_method_not_accepted")
    gateway_type, currency = DEBIT_FORMS[debit]
    if snapshot.currency.lower() != currency:
        return PaymentOutcome("failed", "payment_method_currency_mismatch")
    if not mandate_accepted:
        return PaymentOutcome("failed", "mandate_not_accepted")
    if not _GATEWAY_PM.match(payment_method) or not _ATTEMPT_KEY.match(attempt_key):
        return PaymentOutcome("failed", "form_invalid")
    mandate_data = {"customer_acceptance": {"type": "online", "accepted_at": accepted_at, "online": {
        "ip_address": ip_address[:64] or "0.0.0.0", "user_agent": (user_agent or "unknown")[:500]}}}
    return await payments.pay_invoice(snapshot.organization_id, snapshot.id, payment_method,
                                      idempotency_key=f"portal-pay-{snapshot.id}-{attempt_key}",
                                      payment_method_type=gateway_type, mandate_data=mandate_data)
