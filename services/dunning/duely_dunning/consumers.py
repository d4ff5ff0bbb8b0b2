"""Kafka handlers: invoice, payment and payment-method events become collection state, timeline
entries and the history of each invoice's collection."""

from __future__ import annotations

from duely_contracts import Envelope
from duely_contracts.events import (
    AutopaySkipped, InvoicePaymentApplied, InvoicePaymentFailed, InvoiceReopened, PaymentMethodChanged,
    PaymentProcessing, PaymentSucceeded,
)
from duely_runtime.service import ServiceRuntime
from duely_dunning import service
from duely_dunning.domain.collection import STATUS_AFTER_EVENT
from duely_dunning.org_clocks import Clock

PAYMENT_METHOD_EVENTS = ("payment_method.attached", "payment_method.updated", "payment_method.detached")


def register(runtime: ServiceRuntime, clock: Clock) -> None:
    outbox = runtime.outbox
    for event_type in STATUS_AFTER_EVENT:
        runtime.consumers.on(event_type)(_invoice_snapshot_handler(event_type, clock, runtime))

    @runtime.consumers.on("invoice.payment_failed")
    async def count_payment_failure(session, envelope: Envelope, event: InvoicePaymentFailed) -> None:
        await service.record_payment_failure(session, event=event, organization_id=envelope.organization_id,
                                             correlation_id=envelope.correlation_id, real_now=clock.real(),
                                             envelope=envelope, outbox=outbox,
                                             now=await clock.now_for(session, envelope.organization_id))

    @runtime.consumers.on("payment.processing")
    async def hold_for_processing_debit(session, envelope: Envelope, event: PaymentProcessing) -> None:
        await service.record_payment_processing(session, envelope=envelope, event=event, real_now=clock.real())

    @runtime.consumers.on("payment.succeeded")
    async def record_payment(session, envelope: Envelope, event: PaymentSucceeded) -> None:
        await service.record_payment_succeeded(session, envelope=envelope, event=event, real_now=clock.real())

    @runtime.consumers.on("invoice.payment_succeeded")
    async def record_payment_applied(session, envelope: Envelope, event: InvoicePaymentApplied) -> None:
        await service.record_payment_applied(session, envelope=envelope, event=event, real_now=clock.real())

    @runtime.consumers.on("invoice.reopened")
    async def reopen_collection(session, envelope: Envelope, event: InvoiceReopened) -> None:
        await service.record_invoice_reopened(session, envelope=envelope, event=event,
                                              now=await clock.now_for(session, envelope.organization_id),
                                              real_now=clock.real())

    @runtime.consumers.on("invoice.autopay_skipped")
    async def record_autopay_skipped(session, envelope: Envelope, event: AutopaySkipped) -> None:
        await service.record_autopay_skipped(session, envelope=envelope, event=event, real_now=clock.real())

    for event_type in PAYMENT_METHOD_EVENTS:
        runtime.consumers.on(event_type)(_payment_method_handler(event_type, clock, runtime))


def _invoice_snapshot_handler(event_type: str, clock: Clock, runtime: ServiceRuntime):
    """invoice.issued / paid / past_due / voided / marked_uncollectible all carry a snapshot."""

    async def apply_invoice_snapshot(session, envelope: Envelope, event) -> None:
        await service.record_invoice_event(
            session, event_type=event_type, invoice=event.invoice, organization_id=envelope.organization_id,
            version=envelope.aggregate_version, correlation_id=envelope.correlation_id,
            now=await clock.now_for(session, envelope.organization_id), real_now=clock.real(),
            outbox=runtime.outbox, envelope=envelope)

    apply_invoice_snapshot.__name__ = f"apply_{event_type.replace('.', '_')}"
    return apply_invoice_snapshot


def _payment_method_handler(event_type: str, clock: Clock, runtime: ServiceRuntime):
    """A saved method's own timeline: its expiry check."""

    async def plan_expiry_check(session, envelope: Envelope, event: PaymentMethodChanged) -> None:
        await service.record_payment_method_event(
            session, event_type=event_type, method=event.payment_method, organization_id=envelope.organization_id,
            version=envelope.aggregate_version, now=await clock.now_for(session, envelope.organization_id), real_now=clock.real(),
            outbox=runtime.outbox)

    plan_expiry_check.__name__ = f"plan_expiry_check_{event_type.split('.')[1]}"
    return plan_expiry_check
