"""What invoicing does when dunning asks (issue #10): write an invoice off, pause or cancel its subscription, issue a
late fee invoice. Dunning owns time and decides WHEN; invoicing owns the invoice and decides WHETHER, reading the
live invoice under its row lock in the consumer's transaction (dunning's event may be stale: a payment may have
landed since it fired). Each handler is idempotent: the inbox drops a redelivered event, and a repeated request
(a new event id for the same step) finds its work done and does nothing.

Late fees: a fee is its own invoice (an issued invoice is never edited), for the same customer and currency, one
line, no tax, approved through the normal approval path (gapless number, PDF, `invoice.issued`, email) with the
customer's or organization's payment terms; its snapshot's `late_fee_for` links the overdue invoice and the period.
One per (overdue invoice, period): `late_fee_invoices` has that primary key, so neither a redelivery nor a replica
racing on the same event can create a second one. The amount: domain/collections.late_fee_amount.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts import Envelope
from duely_contracts import events
from duely_contracts.models import LateFeeLink
from duely_invoicing.domain import collections, status
from duely_invoicing.domain import subscription_status as sub_status
from duely_invoicing.invoices import repository, service
from duely_invoicing.invoices.schemas import InvoiceCreate, LineIn
from duely_invoicing.subscriptions import repository as subscriptions_repository
from duely_invoicing.subscriptions import service as subscriptions_service
from duely_invoicing.subscriptions.schemas import SubscriptionPatch
from duely_runtime.config import ServiceSettings
from duely_runtime.consumers import PermanentError
from duely_runtime.errors import ApiError
from duely_runtime.kit.clock import utcnow
from duely_runtime.outbox import Outbox

log = logging.getLogger(__name__)

SUBSCRIPTION_ACTIONS = {"pause": sub_status.PAUSED, "cancel": sub_status.CANCELED}


class LateFeeRaced(Exception):
    """Another delivery charged this (invoice, period) between our check and our insert: roll back and retry (the
    retry finds its row and does nothing)."""


async def write_off(session: AsyncSession, outbox: Outbox, envelope: Envelope, event: events.UncollectibleDue) -> None:
    """`dunning.uncollectible_due`: the existing mark-uncollectible transition, when the invoice still owes money and
    is issued or past due; anything else (paid, void, already written off, a zero balance) is logged and left."""
    invoice = await repository.get_invoice(session, envelope.organization_id, event.invoice_id, for_update=True)
    if invoice is None:
        raise PermanentError(f"uncollectible request for unknown invoice {event.invoice_id}")
    if not status.can_mark_uncollectible(invoice.status) or invoice.amount_due <= 0:
        log.info("uncollectible request ignored: nothing left to write off", extra={
            "invoice_id": invoice.id, "status": invoice.status, "amount_due": invoice.amount_due,
            "timer_id": event.timer_id})
        return
    # A charge in flight (a reservation) makes this a 409: raised, so the consumer retries and then dead-letters
    # it where the ops page can replay it once the charge's outcome is known.
    await service.mark_uncollectible(session, outbox, envelope.organization_id, invoice.id)


async def change_subscription(session: AsyncSession, outbox: Outbox, envelope: Envelope,
                              event: events.SubscriptionActionDue) -> None:
    """`dunning.subscription_action_due`: pause or cancel the invoice's subscription (the existing status change,
    `subscription.updated`). Nothing when the invoice was paid or voided meanwhile, when the subscription is
    already in that state or canceled, or when it is not this organization's (or not the invoice's)."""
    target = SUBSCRIPTION_ACTIONS.get(event.action)
    if target is None:
        raise PermanentError(f"unknown subscription action {event.action!r}")
    organization_id = envelope.organization_id
    invoice = await repository.get_invoice(session, organization_id, event.invoice_id, for_update=True)
    context = {"invoice_id": event.invoice_id, "subscription_id": event.subscription_id, "action": event.action,
               "timer_id": event.timer_id}
    if invoice is None or invoice.subscription_id != event.subscription_id:
        log.warning("subscription action ignored: no such invoice of that subscription in the organization",
                    extra=context)
        return
    if invoice.status in (status.PAID, status.VOID, status.DRAFT) or invoice.amount_due <= 0:
        log.info("subscription action ignored: the invoice owes nothing now", extra={**context,
                                                                                    "status": invoice.status})
        return
    subscription = await subscriptions_repository.get_subscription(session, organization_id, event.subscription_id,
                                                                    for_update=True)
    if subscription is None:
        log.warning("subscription action ignored: no such subscription in the organization", extra=context)
        return
    if subscription.status in (target, sub_status.CANCELED):
        log.info("subscription action ignored: already done", extra={**context, "status": subscription.status})
        return
    await subscriptions_service.update_subscription(session, outbox, organization_id, subscription.id,
                                                    SubscriptionPatch(status=target))


async def issue_late_fee(session: AsyncSession, outbox: Outbox, settings: ServiceSettings, envelope: Envelope,
                         event: events.LateFeeDue) -> None:
    """`dunning.late_fee_due`: issue the late fee invoice of (invoice, period), once. Nothing when the overdue
    invoice is paid, void or written off, owes nothing, the setting is disabled, or the fee comes to 0 (its cap
    reached)."""
    organization_id = envelope.organization_id
    context = {"invoice_id": event.invoice_id, "period": event.period, "timer_id": event.timer_id}
    # The lock serializes two deliveries of the same request (another replica waits here, then finds the row).
    overdue = await repository.get_invoice(session, organization_id, event.invoice_id, for_update=True)
    if overdue is None:
        raise PermanentError(f"late fee request for unknown invoice {event.invoice_id}")
    existing = await repository.late_fee_of(session, overdue.id, event.period)
    if existing is not None:
        log.info("late fee already issued", extra={**context, "fee_invoice_id": existing.fee_invoice_id})
        return
    if overdue.status not in status.OPEN or overdue.amount_due <= 0:
        log.info("late fee skipped: the invoice owes nothing now", extra={**context, "status": overdue.status,
                                                                          "amount_due": overdue.amount_due})
        return
    setting = event.late_fee
    if not setting.enabled:
        log.info("late fee skipped: disabled", extra=context)
        return
    balance = overdue.amount_due
    charged = await repository.late_fees_charged(session, overdue.id)
    amount = collections.late_fee_amount(percentage=setting.percentage, fixed_amount=setting.fixed_amount,
                                         balance=balance, cap=setting.cap, already_charged=charged)
    if amount <= 0:
        log.info("late fee skipped: it comes to 0 (cap reached)", extra={**context, "charged": charged,
                                                                          "cap": setting.cap})
        return

    line = LineIn(description=collections.late_fee_description(overdue.number, overdue.id, event.period),
                  quantity=1, unit_amount=amount)
    data = InvoiceCreate(customer_id=overdue.customer_id, currency=overdue.currency, lines=[line])
    try:
        fee = await service.create_invoice(session, organization_id, data)
        fee.late_fee_for = LateFeeLink(invoice_id=overdue.id, invoice_number=overdue.number,
                                       period=event.period).model_dump(mode="json")
        await session.flush()
        fee = await service.approve_invoice(session, outbox, settings, organization_id, fee.id)
    except ApiError as exc:  # e.g. a VAT id the customer's treatment needs was removed: retrying cannot help
        raise PermanentError(f"late fee invoice for {overdue.id} period {event.period} refused: "
                             f"{exc.code}: {exc.message}") from exc
    recorded = await repository.record_late_fee(session, {
        "invoice_id": overdue.id, "period": event.period, "organization_id": organization_id,
        "fee_invoice_id": fee.id, "amount": amount, "balance": balance, "timer_id": event.timer_id,
        "created_at": utcnow()})
    if not recorded:
        raise LateFeeRaced(f"late fee of {overdue.id} period {event.period} issued by another delivery")
    log.info("late fee invoice issued", extra={**context, "fee_invoice_id": fee.id, "amount": amount,
                                               "balance": balance})
