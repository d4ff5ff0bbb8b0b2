"""Invoicing's reactions to other services' events (each inside its inbox transaction)."""

from __future__ import annotations

from duely_invoicing.invoices import service as invoices_service
from duely_invoicing.payment_methods import service as payment_methods_service
from duely_runtime.service import ServiceRuntime


def register(runtime: ServiceRuntime) -> None:
    @runtime.consumers.on("payment.succeeded")
    async def record_payment(session, envelope, event):
        await invoices_service.apply_payment(session, runtime.outbox, envelope, event)

    @runtime.consumers.on("payment.refunded")
    async def record_refund(session, envelope, event):
        await invoices_service.apply_refund(session, runtime.outbox, envelope, event)

    for event_type in ("payment_method.attached", "payment_method.updated", "payment_method.detached"):
        @runtime.consumers.on(event_type)
        async def record_payment_method(session, envelope, event):
            await payment_methods_service.record_change(session, envelope, event)

    @runtime.consumers.on("dunning.invoice_overdue")
    async def mark_past_due(session, envelope, event):
        await invoices_service.mark_past_due(session, runtime.outbox, envelope, event)
