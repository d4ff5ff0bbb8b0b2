"""Recording money received outside the gateway (a wire transfer, a check, cash...) against an invoice.

The same guarantees as a charge, without the gateway: invoicing reserves the invoice first (its
answer is the authoritative balance; 404 for an unknown invoice or another organization's, 409 when
it is not payable or a charge holds it), then the Payment and its `payment.succeeded` are written in
one transaction. The event carries the reservation's id as `attempt_id`, so invoicing ends the hold
when it counts the payment; anything that fails before the commit (a refused amount included)
releases the reservation at once. Until invoicing has counted it, the invoice stays held: a second
payment recorded in that moment is a 409 payment_in_progress (retry shortly).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts.events import PaymentSucceeded
from duely_contracts.models import InvoiceSnapshot
from duely_payments import repository as repo
from duely_payments.domain.charging import PROCESSING, not_payable_reason
from duely_payments.domain.manual_payments import amount_problem, paid_at_problem
from duely_payments.models import Payment
from duely_payments.service import Charging, event_keys, invoice_summary
from duely_runtime.errors import conflict, invalid, not_found
from duely_runtime.kit.clock import utcnow
from duely_runtime.kit.ids import new_id
from duely_runtime.outbox import Outbox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ManualPayment:
    """What the merchant says was received (validated for shape by the request model)."""

    method: str
    amount: int | None = None  # None: the whole balance
    paid_at: datetime | None = None  # None: now
    reference: str | None = None
    note: str | None = None
    allow_overpayment: bool = False


async def record_manual_payment(charging: Charging, *, organization_id: str, invoice_id: str,
                                request: ManualPayment, recorded_by: str | None) -> Payment:
    now = utcnow()
    if request.paid_at is not None and (problem := paid_at_problem(request.paid_at, now)):
        raise invalid("paid_at", problem)
    if request.amount is not None and request.amount <= 0:  # refused before holding the invoice
        raise invalid("amount", amount_problem(request.amount, 0, "", allow_overpayment=True))
    reservation_id = new_id("payrec")
    reservation = await charging.invoicing.reserve_charge(organization_id, invoice_id, reservation_id)
    try:
        async with charging.db.transaction() as session:
            payment = await _record(session, charging.outbox, reservation_id=reservation_id,
                                    organization_id=organization_id, invoice_id=invoice_id, request=request,
                                    snapshot=reservation.invoice, recorded_by=recorded_by, now=utcnow())
    except BaseException:  # nothing recorded, so nothing will end the hold: end it now, whatever failed
        with contextlib.suppress(Exception):
            await charging.invoicing.release_charge(organization_id, invoice_id, reservation_id)
        raise
    log.info("manual payment recorded", extra={"payment_id": payment.id, "invoice_id": invoice_id,
                                               "amount": payment.amount, "method": payment.method_type})
    return payment


async def _record(session: AsyncSession, outbox: Outbox, *, reservation_id: str, organization_id: str,
                  invoice_id: str, request: ManualPayment, snapshot: InvoiceSnapshot, recorded_by: str | None,
                  now: datetime) -> Payment:
    await repo.apply_invoice_snapshot(session, snapshot, snapshot.version, now)  # invoicing's word, under the hold
    invoice = await repo.get_invoice(session, organization_id, invoice_id, for_update=True)
    if invoice is None:
        raise not_found("invoice", invoice_id)
    # The reservation was granted, so invoicing holds the invoice payable; our own view must agree.
    if await repo.attempt_with_status(session, invoice_id, PROCESSING) is not None:
        raise conflict("payment_in_progress", "A payment for this invoice is already being processed.")
    # Our read model is updated only with newer versions: check the reservation's snapshot itself, and what we
    # took for the invoice that invoicing may not have counted yet (a charge whose hold lapsed).
    if reason := not_payable_reason(snapshot.status, snapshot.amount_due,
                                    already_paid=await repo.fully_collected(session, invoice_id, snapshot.total)):
        raise conflict("invoice_not_payable", reason)
    amount = snapshot.amount_due if request.amount is None else request.amount
    if problem := amount_problem(amount, snapshot.amount_due, invoice.currency,
                                 allow_overpayment=request.allow_overpayment):
        raise invalid("amount", problem)
    payment = Payment(
        id=new_id("pay"), organization_id=organization_id, invoice_id=invoice_id, attempt_id=reservation_id,
        attempt_number=await repo.last_attempt_number(session, invoice_id) + 1, amount=amount,
        currency=invoice.currency, payment_method=request.method, gateway_reference=None, gateway_charge=None,
        created_at=now, manual=True, method_type=request.method, reference=request.reference, note=request.note,
        paid_at=request.paid_at or now, recorded_by=recorded_by)
    await repo.add_payment(session, payment)
    # The invoice summary shows the balance the payment was recorded against (invoicing publishes the new one).
    await outbox.emit(session, "payment.succeeded", PaymentSucceeded(
        payment_id=payment.id, invoice_id=invoice_id, attempt_number=payment.attempt_number,
        attempt_id=reservation_id, amount=amount, currency=payment.currency, payment_method=request.method,
        gateway_reference=None, succeeded_at=payment.paid_at, invoice=invoice_summary(invoice),
        method_type=request.method, manual=True, reference=request.reference,
        allow_overpayment=request.allow_overpayment,
    ), **await event_keys(session, organization_id, invoice_id))
    await session.flush()
    return payment
