"""Kafka handlers: invoice snapshots and payment outcomes feed the read models."""

from __future__ import annotations

from duely_runtime.service import ServiceRuntime
from duely_portal import service

INVOICE_SNAPSHOT_EVENTS = (
    "invoice.issued", "invoice.paid", "invoice.past_due", "invoice.voided", "invoice.marked_uncollectible",
    "invoice.payment_succeeded", "invoice.reopened",  # a partial payment's new balance; a refund's reopening
)


def register(runtime: ServiceRuntime) -> None:
    async def remember_invoice(session, envelope, event) -> None:
        # Every invoice event carries the full snapshot; the newest aggregate_version wins,
        # because order across topics is not guaranteed.
        await service.apply_invoice_snapshot(session, event.invoice, envelope.aggregate_version)

    for event_type in INVOICE_SNAPSHOT_EVENTS:
        runtime.consumers.on(event_type)(remember_invoice)

    @runtime.consumers.on("payment.succeeded")
    async def remember_payment(session, envelope, event) -> None:
        await service.record_payment_succeeded(session, envelope.organization_id, event)

    @runtime.consumers.on("invoice.payment_failed")
    async def remember_failed_payment(session, envelope, event) -> None:
        await service.record_payment_failed(session, envelope.organization_id, event)

    @runtime.consumers.on("payment.processing")
    async def remember_debit(session, envelope, event) -> None:
        await service.record_debit_processing(session, envelope.organization_id, event)

    @runtime.consumers.on("payment.refunded")
    async def remember_refund(session, envelope, event) -> None:
        await service.record_refund(session, envelope.organization_id, event)
