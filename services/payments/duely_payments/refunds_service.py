"""Refunding a payment that invoicing would not count: it landed on a void, uncollectible or
already paid invoice (a charge that outlived its reservation, see service.py).

Invoicing's `invoice.payment_rejected` asks for it. The refund row is written in that event's
inbox transaction, so the request is durable and a redelivered event adds nothing; the
gateway call happens after the commit, in the refund worker, with a key derived from the
payment (domain/refunding.py), so however often it is repeated (a retry, a crash, a replay)
the customer is refunded once. The outcome is recorded with `payment.refunded` in one
transaction, as a charge's outcome is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts import Envelope
from duely_contracts.events import InvoicePaymentRejected, PaymentRefunded
from duely_payments import repository as repo
from duely_payments.domain.charging import recovery_delay
from duely_payments.domain.refunding import (
    FAILED, PENDING, SUCCEEDED, RefundFacts, RefundPending, RefundResult, refund_idempotency_key, refundable,
)
from duely_payments.models import Refund
from duely_payments.service import Charging, event_keys, invoice_summary
from duely_runtime import context
from duely_runtime.consumers import PermanentError
from duely_runtime.kit.clock import utcnow
from duely_runtime.kit.ids import new_id
from duely_runtime.outbox import Outbox

log = logging.getLogger(__name__)

REFUNDS_FAILED = Counter("duely_payments_refunds_failed_total",
                         "Refunds the gateway refused for good: money to give back by hand")


# -- asked for by invoicing (Kafka, in the event's inbox transaction) ---------------

async def request_refund(session: AsyncSession, envelope: Envelope, event: InvoicePaymentRejected,
                         now: datetime) -> Refund | None:
    """A pending refund of what is left of the payment, once per payment; None when it was already asked for
    (or the merchant already refunded all of it through the API). Decided under the payment's row lock,
    as the API's refunds are, so together they never exceed the payment."""
    payment = await repo.lock_payment(session, envelope.organization_id, event.payment_id)
    if payment is None:
        raise PermanentError(f"invoicing rejected payment {event.payment_id}, which we never took")
    if payment.manual:  # recorded by hand; invoicing did not count it. Only the merchant can give it back.
        log.warning("invoicing rejected a manual payment; nothing to refund through the gateway",
                    extra={"payment_id": payment.id, "invoice_id": payment.invoice_id, "reason": event.reason})
        return None
    earlier = await repo.refunds_of_payment(session, payment.id)
    left = refundable(payment.amount, [(r.amount, r.status) for r in earlier])
    if left <= 0:
        log.info("rejected payment already refunded in full", extra={"payment_id": payment.id})
        return None
    refund = Refund(
        id=new_id("refund"), organization_id=payment.organization_id, invoice_id=payment.invoice_id,
        payment_id=payment.id, amount=left, currency=payment.currency, reason=event.reason,
        status=PENDING, gateway_idempotency_key=refund_idempotency_key(payment.id),
        correlation_id=context.current_correlation_id(), gateway_checks=0, next_check_at=now, created_at=now)
    if not await repo.add_refund_once(session, refund):
        return None
    log.warning("refunding a payment that landed on a closed invoice",
                extra={"payment_id": payment.id, "invoice_id": payment.invoice_id, "reason": event.reason})
    return refund


# -- the gateway call and its outcome (background worker) ----------------------------

async def finish_refunds(charging: Charging) -> int:
    """Ask the gateway for each due pending refund, then record the outcome and its event."""
    now = utcnow()
    async with charging.db.transaction() as session:
        claimed = [(refund_facts(refund, payment_intent), refund.correlation_id, refund.gateway_checks)
                   for refund, payment_intent
                   in await repo.claim_due_refunds(session, now, lease=charging.stale_attempt_after)]
    for facts, correlation_id, checks in claimed:
        with context.bound(correlation_id, facts.id):
            try:
                result = await charging.card_gateway.refund(facts)
            except RefundPending as pending:
                delay = recovery_delay(checks, base_s=charging.stale_attempt_after.total_seconds())
                async with charging.db.transaction() as session:
                    await repo.postpone_refund(session, facts.id, utcnow() + delay, pending.gateway_reference)
                continue
            async with charging.db.transaction() as session:
                await record_refund_outcome(session, charging.outbox, facts.id, result, utcnow())
    return len(claimed)


async def record_refund_outcome(session: AsyncSession, outbox: Outbox, refund_id: str, result: RefundResult,
                                now: datetime) -> Refund | None:
    """Complete a pending refund; `payment.refunded` when the money went back. A completed one is left alone."""
    refund = await repo.get_refund(session, refund_id, for_update=True)
    if refund is None or refund.status != PENDING:
        return refund
    refund.gateway_reference = result.gateway_reference or refund.gateway_reference
    refund.completed_at, refund.next_check_at = now, None
    if not result.succeeded:
        refund.status, refund.failure_message = FAILED, result.failure_message
        # Money we should not keep and could not give back: a person has to look (the gateway's dashboard).
        log.error("refund failed", extra={"refund_id": refund.id, "payment_id": refund.payment_id,
                                           "reason": refund.reason, "error": result.failure_message})
        REFUNDS_FAILED.inc()
        return refund
    refund.status = SUCCEEDED
    invoice = await repo.get_invoice_by_id(session, refund.invoice_id)
    await outbox.emit(session, "payment.refunded", PaymentRefunded(
        refund_id=refund.id, payment_id=refund.payment_id, invoice_id=refund.invoice_id, amount=refund.amount,
        currency=refund.currency, reason=refund.reason, gateway_reference=refund.gateway_reference,
        refunded_at=now, invoice=invoice_summary(invoice),
    ), **await event_keys(session, refund.organization_id, refund.invoice_id))
    await session.flush()
    return refund


def refund_facts(refund: Refund, payment_intent: str | None) -> RefundFacts:
    return RefundFacts(refund.id, refund.organization_id, refund.invoice_id, refund.payment_id, refund.amount,
                       refund.currency, payment_intent, refund.gateway_idempotency_key, refund.gateway_reference)


def refund_worker(charging: Charging, interval_s: float):
    async def finish_pending_refunds() -> None:
        while True:
            charging.refunds_due.clear()
            await finish_refunds(charging)
            with contextlib.suppress(asyncio.TimeoutError):  # woken early when a refund is asked for
                await asyncio.wait_for(charging.refunds_due.wait(), timeout=interval_s)
    return finish_pending_refunds
