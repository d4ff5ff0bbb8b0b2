"""Invoicing's reactions to other services' events (each inside its inbox transaction)."""

from __future__ import annotations

from duely_invoicing.invoices import dunning_requests
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

    # Dunning's requests (issue #10): each reads the live invoice under its lock and does nothing when it no longer
    # applies (invoices/dunning_requests.py).
    @runtime.consumers.on("dunning.uncollectible_due")
    async def write_off(session, envelope, event):
        await dunning_requests.write_off(session, runtime.outbox, envelope, event)

    @runtime.consumers.on("dunning.subscription_action_due")
    async def change_subscription(session, envelope, event):
        await dunning_requests.change_subscription(session, runtime.outbox, envelope, event)

    @runtime.consumers.on("dunning.late_fee_due")
    async def issue_late_fee(session, envelope, event):
        await dunning_requests.issue_late_fee(session, runtime.outbox, runtime.settings, envelope, event)
