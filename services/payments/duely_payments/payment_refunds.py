"""Refunds the merchant asks for (POST /v1/payments/{id}/refunds), full or partial, several per payment.

Each one is decided under the payment's row lock, against what is left of it (pending and succeeded
refunds count; failed ones gave nothing back), so two refunds racing on one payment never exceed it.
A gateway payment's refund is written `pending` with its own gateway key and handed to the refund
worker (refunds_service.py), which asks the gateway and publishes `payment.refunded` when the money
went back. A manual payment's refund is only recorded: succeeded at once, with its `payment.refunded`
(manual) in the same transaction.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts.events import PaymentRefunded
from duely_payments import repository as repo
from duely_payments.domain.refunding import (
    PENDING, SUCCEEDED, refund_amount_problem, refund_idempotency_key, refundable,
)
from duely_payments.models import Payment, Refund
from duely_payments.service import Charging, event_keys, invoice_summary
from duely_runtime import context
from duely_runtime.errors import conflict, found, invalid
from duely_runtime.kit.clock import utcnow
from duely_runtime.kit.ids import new_id

log = logging.getLogger(__name__)


async def refund_payment(charging: Charging, *, organization_id: str, payment_id: str, amount: int | None,
                         reason: str, requested_by: str | None) -> Refund:
    async with charging.db.transaction() as session:
        refund = await _refund(session, charging, organization_id=organization_id, payment_id=payment_id,
                               amount=amount, reason=reason, requested_by=requested_by)
    if refund.status == PENDING:
        charging.refunds_due.set()  # committed: the refund worker asks the gateway now
    return refund


async def _refund(session: AsyncSession, charging: Charging, *, organization_id: str, payment_id: str,
                  amount: int | None, reason: str, requested_by: str | None) -> Refund:
    payment = found(await repo.lock_payment(session, organization_id, payment_id), "payment", payment_id)
    refunds = await repo.refunds_of_payment(session, payment.id)
    left = refundable(payment.amount, [(r.amount, r.status) for r in refunds])
    if left <= 0:
        raise conflict("payment_fully_refunded", "This payment has already been refunded in full"
                       + (" (a refund is still pending)." if any(r.status == PENDING for r in refunds) else "."))
    amount = left if amount is None else amount
    if problem := refund_amount_problem(amount, left, payment.currency):
        raise invalid("amount", problem)
    now = utcnow()
    refund_id = new_id("refund")
    refund = Refund(
        id=refund_id, organization_id=organization_id, invoice_id=payment.invoice_id, payment_id=payment.id,
        amount=amount, currency=payment.currency, reason=reason, status=PENDING,
        gateway_idempotency_key=refund_idempotency_key(payment.id, refund_id),
        correlation_id=context.current_correlation_id(), gateway_checks=0, next_check_at=now, created_at=now,
        manual=payment.manual, requested_by=requested_by)
    if payment.manual:  # nothing to send back through the gateway: the merchant gave the money back
        refund.status, refund.next_check_at, refund.completed_at = SUCCEEDED, None, now
    await repo.add_refund(session, refund)
    if payment.manual:
        await announce_manual_refund(session, charging, payment, refund)
    log.info("refund requested", extra={"refund_id": refund.id, "payment_id": payment.id, "amount": amount,
                                        "manual": payment.manual})
    return refund


async def announce_manual_refund(session: AsyncSession, charging: Charging, payment: Payment,
                                 refund: Refund) -> None:
    invoice = await repo.get_invoice_by_id(session, payment.invoice_id)
    await charging.outbox.emit(session, "payment.refunded", PaymentRefunded(
        refund_id=refund.id, payment_id=payment.id, invoice_id=payment.invoice_id, amount=refund.amount,
        currency=refund.currency, manual=True, reason=refund.reason, gateway_reference=None,
        refunded_at=refund.completed_at, invoice=invoice_summary(invoice),
    ), **await event_keys(session, payment.organization_id, payment.invoice_id))


async def list_refunds(session: AsyncSession, organization_id: str, payment_id: str) -> list[Refund]:
    """A payment's refunds, oldest first; 404 unless the payment is the organization's."""
    payment = found(await repo.get_payment(session, organization_id, payment_id), "payment", payment_id)
    return await repo.refunds_of_payment(session, payment.id)
