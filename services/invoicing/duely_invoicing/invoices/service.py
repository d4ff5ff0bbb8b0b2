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
from duely_invoicing.credits import service as credits_service
from duely_invoicing.customers import repository as customers_repository
from duely_invoicing.domain import limits, status, terms
from duely_invoicing.exchange_rates import service as exchange_rates_service
from duely_invoicing.invoices import (autopay_plan, listing, parties_at_approval, pricing, repository, tax_treatment,
                                     views)
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


async def invoice_to_show(session: AsyncSession, organization_id: str, invoice_id: str) -> Invoice:
    """`get_invoice` for reading only (GET): 404 when missing or another organization's."""
    return found(await repository.invoice_to_show(session, organization_id, invoice_id), "invoice", invoice_id)


async def approve_invoice(session: AsyncSession, outbox: Outbox, settings: ServiceSettings, organization_id: str,
                          invoice_id: str, *, now: datetime | None = None) -> Invoice:
    """Issue a draft: number (gapless, taken in this transaction), due date, hosted link, its parties frozen,
    the AutoPay plan fixed (and with the settings, the collection plan), the customer's credit applied, `invoice.issued`.

    Credit: the customer's credit balance in the invoice's currency (from allowed overpayments) pays up to the
    amount due (`credit_applied`, counted in amount_paid). When it covers the whole amount, the invoice is
    issued and then paid in the same transaction: `invoice.issued` (version n, amount_due 0: the document is
    still sent, numbered and legal) then `invoice.paid` (version n+1, no payment_id), so every consumer sees
    the usual life of an invoice in order, and no AutoPay plan (nothing to charge). No
    `invoice.payment_succeeded` is published for credit: it is not a payment, no money moved."""
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
    applied = await credits_service.apply_to_invoice(
        session, organization_id=organization_id, customer_id=invoice.customer_id, currency=invoice.currency,
        invoice_id=invoice.id, amount_due=invoice.amount_due, now=now)
    if applied:
        invoice.credit_applied = applied
        invoice.amount_paid += applied
        invoice.amount_due = max(invoice.total - invoice.amount_paid, 0)
    plan = await autopay_plan.plan(session, invoice, now) if invoice.amount_due > 0 else None
    invoice.autopay_plan = plan.model_dump(mode="json") if plan else None
    _transition(invoice, status.ISSUED, now)
    await ensure_publishable(session, invoice)  # a draft written before the limits existed
    await _emit(session, outbox, "invoice.issued", invoice, lambda snap: events.InvoiceIssued(invoice=snap))
    if applied and invoice.amount_due == 0:
        invoice.paid_at = now
        _transition(invoice, status.PAID, now)
        await _emit(session, outbox, "invoice.paid", invoice,
                    lambda snap: events.InvoicePaid(invoice=snap, payment_id=None, paid_at=now))
    return invoice


async def void_invoice(session: AsyncSession, outbox: Outbox, organization_id: str, invoice_id: str) -> Invoice:
    invoice = await get_invoice(session, organization_id, invoice_id, for_update=True)
    paid_by_payments = invoice.amount_paid - (invoice.credit_applied or 0)  # credit applied goes back instead
    if not status.can_void(invoice.status, paid_by_payments):
        reason = "it has payments" if paid_by_payments else f"it is {invoice.status}"
        raise conflict("invoice_not_voidable",
                       f"Only issued or past-due invoices without payments can be voided; {reason}.")
    now = utcnow()
    refuse_to_close_while_reserved(invoice, now)
    if invoice.credit_applied:
        await credits_service.give_back(session, organization_id=organization_id, customer_id=invoice.customer_id,
                                        currency=invoice.currency, amount=invoice.credit_applied,
                                        invoice_id=invoice.id, now=now)
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
    """Count a payment once (unique payment id): `invoice.payment_succeeded` for every counted payment (the
    amount counted and the new balance), then `invoice.paid` when the balance reached zero.

    With `allow_overpayment` (a manual payment the merchant allowed to exceed the balance) the payment counts
    up to the balance and the excess becomes the customer's credit (credits/service.py), applied to their next
    invoice in that currency. Without it payments only takes the balance; should a payment still exceed it (two
taken against one balance), the excess is kept as credit the same way rather than counted past the total.

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
    counted, excess = event.amount, 0
    if not rejection and event.amount > invoice.amount_due:
        # Allowed (a manual overpayment), or not: two payments taken against one balance (the first not yet
        # counted when the second was charged, e.g. invoicing lagged past the charge reservation). Either way
        # the invoice counts its balance and the rest is the customer's credit, never lost in amount_paid.
        counted, excess = invoice.amount_due, event.amount - invoice.amount_due
        if not event.allow_overpayment:
            log.warning("payment beyond the invoice's balance kept as customer credit", extra={
                "payment_id": event.payment_id, "invoice_id": invoice.id, "excess": excess})
    first_time = await repository.record_payment(session, {
        "payment_id": event.payment_id, "invoice_id": invoice.id, "organization_id": invoice.organization_id,
        "amount": event.amount, "currency": invoice.currency, "succeeded_at": event.succeeded_at,
        "recorded_at": now, "status": "rejected" if rejection else "applied", "method_type": event.method_type,
        "manual": event.manual, "amount_applied": 0 if rejection else counted, "credit_added": excess})
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
    invoice.amount_paid += counted
    invoice.amount_due = max(invoice.total - invoice.amount_paid, 0)
    if excess:
        await credits_service.add_overpayment(
            session, organization_id=invoice.organization_id, customer_id=invoice.customer_id,
            currency=invoice.currency, amount=excess, payment_id=event.payment_id, invoice_id=invoice.id, now=now)
    paid = invoice.amount_due == 0
    if paid:
        invoice.paid_at = event.succeeded_at
    _transition(invoice, status.PAID if paid else invoice.status, now)
    await _emit(session, outbox, "invoice.payment_succeeded", invoice, lambda snap: events.InvoicePaymentApplied(
        invoice=snap, payment_id=event.payment_id, amount=counted, currency=invoice.currency,
        method_type=event.method_type, paid_at=event.succeeded_at, credit_added=excess))
    if paid:
        _transition(invoice, status.PAID, now)  # its own version: read models keep both
        await _emit(session, outbox, "invoice.paid", invoice, lambda snap: events.InvoicePaid(
            invoice=snap, payment_id=event.payment_id, paid_at=event.succeeded_at))


async def apply_refund(session: AsyncSession, outbox: Outbox, envelope: Envelope,
                       event: events.PaymentRefunded) -> None:
    """Give back what a refund took from an invoice, once per refund id.

    A rejected payment was never counted: it is marked refunded and the totals stay as they are.
    A counted payment's refund comes first off the credit that payment left (an allowed overpayment's excess;
    the credit balance may go below zero if the credit was spent meanwhile), then off the invoice: amount_paid
    goes down, amount_due up, a paid invoice is open again (issued, or past_due when its due date has passed),
    and `invoice.reopened` says by how much the balance grew.
    """
    payment = await repository.get_invoice_payment(session, envelope.organization_id, event.payment_id)
    if payment is None:
        raise PermanentError(f"refund {event.refund_id} of unknown payment {event.payment_id}")
    if payment.status != "applied":
        payment.status, payment.refund_id, payment.refunded_at = "refunded", event.refund_id, event.refunded_at
        return
    if await repository.get_payment_refund(session, event.refund_id) is not None:
        log.info("refund already applied", extra={"refund_id": event.refund_id, "payment_id": event.payment_id})
        return
    invoice = await repository.get_invoice(session, envelope.organization_id, payment.invoice_id, for_update=True)
    now = utcnow()
    amount = max(0, min(event.amount, payment.amount - payment.amount_refunded))
    from_credit = min(amount, payment.credit_added - payment.credit_refunded)
    if from_credit > 0:
        await credits_service.take_back(
            session, organization_id=invoice.organization_id, customer_id=invoice.customer_id,
            currency=invoice.currency, amount=from_credit, refund_id=event.refund_id, payment_id=payment.payment_id,
            invoice_id=invoice.id, now=now)
    counted = payment.amount if payment.amount_applied is None else payment.amount_applied
    from_invoice = max(0, min(amount - from_credit, counted - (payment.amount_refunded - payment.credit_refunded)))
    await repository.record_payment_refund(session, {
        "refund_id": event.refund_id, "payment_id": payment.payment_id, "invoice_id": invoice.id,
        "organization_id": invoice.organization_id, "amount": event.amount, "from_invoice": from_invoice,
        "from_credit": from_credit, "refunded_at": event.refunded_at, "recorded_at": now})
    payment.amount_refunded += from_credit + from_invoice
    payment.credit_refunded += from_credit
    payment.refund_id, payment.refunded_at = event.refund_id, event.refunded_at
    if from_invoice == 0:
        return
    balance_before = invoice.amount_due
    invoice.amount_paid -= from_invoice
    invoice.amount_due = max(invoice.total - invoice.amount_paid, 0)
    new_status = invoice.status
    if invoice.status == status.PAID and invoice.amount_due > 0:
        new_status = status.reopened_status(invoice.due_date, now.date())
        invoice.paid_at = None
    _transition(invoice, new_status, now)
    grown = invoice.amount_due - balance_before
    if grown > 0:
        await _emit(session, outbox, "invoice.reopened", invoice, lambda snap: events.InvoiceReopened(
            invoice=snap, reason="payment_refunded", payment_id=payment.payment_id, refund_id=event.refund_id,
            amount=grown))


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
