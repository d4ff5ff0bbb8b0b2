"""Invoicing's use cases: guard clauses, then the work, in the caller's transaction.

Nothing here commits; the HTTP dependency or the consumer wrapper owns the
transaction, and the outbox rows emitted here ride in it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts import Envelope
from duely_contracts import events
from duely_contracts.models import InvoiceSnapshot
from duely_invoicing.customers import repository as customers_repository
from duely_invoicing.domain import limits, status, terms
from duely_invoicing.exchange_rates import service as exchange_rates_service
from duely_invoicing.invoices import listing, parties_at_approval, pricing, repository, tax_treatment, views
from duely_invoicing.invoices import settings as invoice_settings
from duely_invoicing.invoices.charge_reservations import end_reservation, refuse_to_close_while_reserved
from duely_invoicing.invoices.schemas import InvoiceCreate
from duely_invoicing.models import Invoice
from duely_invoicing.organizations import repository as organizations_repository
from duely_runtime.consumers import PermanentError
from duely_runtime.errors import ApiError, conflict, found
from duely_runtime.kit.clock import utcnow
from duely_runtime.kit.ids import new_id
from duely_runtime.kit.pagination import Page
from duely_runtime.links import hosted_invoice_url
from duely_runtime.outbox import Outbox
from duely_runtime.config import ServiceSettings

log = logging.getLogger(__name__)


async def create_invoice(session: AsyncSession, organization_id: str, data: InvoiceCreate) -> Invoice:
    customer = await customers_repository.get_customer(session, organization_id, data.customer_id)
    if customer is None:
        raise ApiError(400, "resource_missing", f"No such customer: '{data.customer_id}'", param="customer_id")
    subscription = await invoice_settings.subscription_for_invoice(session, organization_id, data.subscription_id,
                                                                   customer)
    resolved = await invoice_settings.resolve_for_new_invoice(session, organization_id, customer, subscription, data)
    lines = [await pricing.new_line(session, organization_id, line, i, prefix=f"lines[{i}]")
             for i, line in enumerate(data.lines)]  # tax rates by id resolved, inclusive/exclusive checked

    now = utcnow()
    invoice = Invoice(
        id=new_id("in"), organization_id=organization_id, customer_id=customer.id, number=None,
        status=status.DRAFT, **invoice_settings.new_invoice_values(resolved),
        subtotal=0, tax=0, total=0, amount_paid=0, amount_due=0, tax_breakdown=[],
        discounts=pricing.discounts_json(data.discounts), reporting_currency=data.reporting_currency,
        version=1, created_at=now, updated_at=now,
    )
    invoice.customer = customer
    invoice_settings.stamp(invoice, resolved, subscription)
    tax_treatment.refuse_unmet(invoice)  # both VAT ids for a reverse charge, a reason for an exemption
    invoice.lines = lines
    invoice.payments = []  # a new invoice has none (and the view must not lazy-load them)
    pricing.reprice(invoice)  # discounts, taxes and totals (domain/pricing.py); a 400 naming the field
    await ensure_publishable(session, invoice)
    session.add(invoice)
    await session.flush()
    return invoice


async def list_invoices(session: AsyncSession, organization_id: str, filters: listing.InvoiceFilters, *,
                        limit: int, cursor: str | None, starting_after: str | None) -> Page:
    return await repository.list_invoices(session, organization_id, filters, limit=limit, cursor=cursor,
                                          starting_after=starting_after)


async def ensure_publishable(session: AsyncSession, invoice: Invoice) -> None:
    """422 when the invoice's snapshot would be too large to travel in its events."""
    if problem := limits.too_many_lines(len(invoice.lines)):
        raise ApiError(422, "invoice_line_limit", problem, param="lines")
    size = len((await snapshot_of(session, invoice)).model_dump_json().encode())
    if problem := limits.snapshot_too_large(size):
        raise ApiError(422, "invoice_too_large", problem, param="lines")


async def get_invoice(session: AsyncSession, organization_id: str, invoice_id: str, *,
                      for_update: bool = False) -> Invoice:
    return found(await repository.get_invoice(session, organization_id, invoice_id, for_update=for_update),
                 "invoice", invoice_id)


async def approve_invoice(session: AsyncSession, outbox: Outbox, settings: ServiceSettings, organization_id: str,
                          invoice_id: str, *, now: datetime | None = None) -> Invoice:
    """Issue a draft: number (gapless, taken in this transaction), due date, hosted link, its parties frozen,
    `invoice.issued`."""
    invoice = await get_invoice(session, organization_id, invoice_id, for_update=True)
    if not status.can_approve(invoice.status):
        raise conflict("invoice_not_draft", f"Only draft invoices can be approved; this one is {invoice.status}.")
    now = now or utcnow()
    await exchange_rates_service.fix_reporting_total(session, invoice, now.date())  # 409 when no rate: before any number
    await invoice_settings.number_and_freeze(session, invoice, now)  # resolved number format, gapless per series
    # The VAT ids were just retaken: one removed since the draft was made fails the approval (and its number
    # goes back with the rolled-back transaction).
    tax_treatment.refuse_unmet(invoice, status=409)
    invoice.issued_at = now
    invoice.due_date = terms.due_date(now.date(), invoice.payment_terms)
    invoice.hosted_invoice_url = hosted_invoice_url(settings.public_base_url, settings.hosted_link_secret,
                                                    organization_id, invoice.id)
    await parties_at_approval.freeze(session, invoice)  # later edits of the customer or settings: later invoices
    _transition(invoice, status.ISSUED, now)
    await ensure_publishable(session, invoice)  # a draft written before the limits existed
    await _emit(session, outbox, "invoice.issued", invoice, lambda snap: events.InvoiceIssued(invoice=snap))
    return invoice


async def void_invoice(session: AsyncSession, outbox: Outbox, organization_id: str, invoice_id: str) -> Invoice:
    invoice = await get_invoice(session, organization_id, invoice_id, for_update=True)
    if not status.can_void(invoice.status, invoice.amount_paid):
        reason = "it has payments" if invoice.amount_paid else f"it is {invoice.status}"
        raise conflict("invoice_not_voidable",
                       f"Only issued or past-due invoices without payments can be voided; {reason}.")
    now = utcnow()
    refuse_to_close_while_reserved(invoice, now)
    _transition(invoice, status.VOID, now)
    await _emit(session, outbox, "invoice.voided", invoice, lambda snap: events.InvoiceVoided(invoice=snap))
    return invoice


async def mark_uncollectible(session: AsyncSession, outbox: Outbox, organization_id: str,
                             invoice_id: str) -> Invoice:
    invoice = await get_invoice(session, organization_id, invoice_id, for_update=True)
    if not status.can_mark_uncollectible(invoice.status):
        raise conflict("invoice_not_open",
                       f"Only issued or past-due invoices can be marked uncollectible; this one is {invoice.status}.")
    now = utcnow()
    refuse_to_close_while_reserved(invoice, now)
    _transition(invoice, status.UNCOLLECTIBLE, now)
    await _emit(session, outbox, "invoice.marked_uncollectible", invoice,
                lambda snap: events.InvoiceMarkedUncollectible(invoice=snap))
    return invoice


async def apply_payment(session: AsyncSession, outbox: Outbox, envelope: Envelope,
                        event: events.PaymentSucceeded) -> None:
    """Record a payment once (unique payment id); a payment that clears the balance makes the invoice paid.

    A payment on a closed invoice (void, uncollectible, already paid) is recorded as rejected, never
    counted in amount_paid, and announced (`invoice.payment_rejected`) so that payments refunds it.
    """
    invoice = await repository.get_invoice(session, envelope.organization_id, event.invoice_id, for_update=True)
    if invoice is None:
        raise PermanentError(f"payment {event.payment_id} for unknown invoice {event.invoice_id}")
    if invoice.status == status.DRAFT:
        raise PermanentError(f"payment {event.payment_id} for draft invoice {invoice.id}")
    if event.currency.lower() != invoice.currency:
        raise PermanentError(f"payment {event.payment_id} in {event.currency}, invoice in {invoice.currency}")
    now = utcnow()
    rejection = status.payment_rejection(invoice.status)
    first_time = await repository.record_payment(session, {
        "payment_id": event.payment_id, "invoice_id": invoice.id, "organization_id": invoice.organization_id,
        "amount": event.amount, "currency": invoice.currency, "succeeded_at": event.succeeded_at,
        "recorded_at": now, "status": "rejected" if rejection else "applied"})
    if not first_time:
        log.info("payment already applied", extra={"payment_id": event.payment_id, "invoice_id": invoice.id})
        return
    end_reservation(invoice, event.attempt_id)  # the attempt's outcome is known: void may go ahead
    if rejection:
        log.warning("payment on a closed invoice: rejected, to be refunded",
                    extra={"invoice_id": invoice.id, "status": invoice.status, "payment_id": event.payment_id})
        _transition(invoice, invoice.status, now)
        await _emit(session, outbox, "invoice.payment_rejected", invoice, lambda snap: events.InvoicePaymentRejected(
            payment_id=event.payment_id, invoice_id=invoice.id, amount=event.amount, currency=invoice.currency,
            reason=rejection, invoice=snap))
        return
    invoice.amount_paid += event.amount
    invoice.amount_due = max(invoice.total - invoice.amount_paid, 0)
    if invoice.amount_due > 0:
        _transition(invoice, invoice.status, now)  # partial payment: a new version, same status
        return
    invoice.paid_at = event.succeeded_at
    _transition(invoice, status.PAID, now)
    await _emit(session, outbox, "invoice.paid", invoice,
                lambda snap: events.InvoicePaid(invoice=snap, payment_id=event.payment_id, paid_at=event.succeeded_at))


async def apply_refund(session: AsyncSession, envelope: Envelope, event: events.PaymentRefunded) -> None:
    """Mark a rejected payment refunded. It was never counted, so amount_paid and amount_due stay as they are."""
    payment = await repository.get_invoice_payment(session, envelope.organization_id, event.payment_id)
    if payment is None:
        raise PermanentError(f"refund {event.refund_id} of unknown payment {event.payment_id}")
    if payment.status == "applied":
        # Nothing refunds a counted payment yet (the refunds API will, with its own rule for the totals).
        raise PermanentError(f"refund {event.refund_id} of payment {event.payment_id}, which counts in the invoice")
    payment.status, payment.refund_id, payment.refunded_at = "refunded", event.refund_id, event.refunded_at


async def mark_past_due(session: AsyncSession, outbox: Outbox, envelope: Envelope,
                        event: events.InvoiceOverdueDetected) -> None:
    invoice = await repository.get_invoice(session, envelope.organization_id, event.invoice_id, for_update=True)
    if invoice is None:
        raise PermanentError(f"overdue notice for unknown invoice {event.invoice_id}")
    if not status.can_become_past_due(invoice.status, invoice.amount_due):
        return  # already past due, paid, void...: published once only
    _transition(invoice, status.PAST_DUE, utcnow())
    days = max(0, (event.detected_at.date() - invoice.due_date).days) if invoice.due_date else 0
    await _emit(session, outbox, "invoice.past_due", invoice,
                lambda snap: events.InvoicePastDue(invoice=snap, days_overdue=days))


def _transition(invoice: Invoice, new_status: str, now: datetime) -> None:
    invoice.status = new_status
    invoice.version += 1
    invoice.updated_at = now


async def _emit(session: AsyncSession, outbox: Outbox, event_type: str, invoice: Invoice, make) -> None:
    await outbox.emit(session, event_type, make(await snapshot_of(session, invoice)),
                      organization_id=invoice.organization_id, aggregate_id=invoice.id,
                      aggregate_version=invoice.version)


async def invoice_snapshot(session: AsyncSession, organization_id: str, invoice_id: str) -> InvoiceSnapshot:
    return await snapshot_of(session, await get_invoice(session, organization_id, invoice_id))


async def snapshot_of(session: AsyncSession, invoice: Invoice) -> InvoiceSnapshot:
    organization = await organizations_repository.get_organization(session, invoice.organization_id)
    return views.invoice_snapshot(invoice, organization)
