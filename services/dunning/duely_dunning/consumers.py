"""Kafka handlers: invoice and payment events become collection state and timers."""

from __future__ import annotations

from duely_contracts import Envelope
from duely_contracts.events import InvoicePaymentFailed
from duely_runtime.service import ServiceRuntime
from duely_dunning import service
from duely_dunning.domain.collection import STATUS_AFTER_EVENT
from duely_dunning.org_clocks import Clock


def register(runtime: ServiceRuntime, clock: Clock) -> None:
    for event_type in STATUS_AFTER_EVENT:
        runtime.consumers.on(event_type)(_invoice_snapshot_handler(event_type, clock))

    @runtime.consumers.on("invoice.payment_failed")
    async def count_payment_failure(session, envelope: Envelope, event: InvoicePaymentFailed) -> None:
        await service.record_payment_failure(session, event=event, organization_id=envelope.organization_id,
                                             correlation_id=envelope.correlation_id, real_now=clock.real())


def _invoice_snapshot_handler(event_type: str, clock: Clock):
    """invoice.issued / paid / past_due / voided / marked_uncollectible all carry a snapshot."""

    async def apply_invoice_snapshot(session, envelope: Envelope, event) -> None:
        await service.record_invoice_event(
            session, event_type=event_type, invoice=event.invoice, organization_id=envelope.organization_id,
            version=envelope.aggregate_version, correlation_id=envelope.correlation_id,
            now=await clock.now_for(session, envelope.organization_id), real_now=clock.real())

    apply_invoice_snapshot.__name__ = f"apply_{event_type.replace('.', '_')}"
    return apply_invoice_snapshot
