"""Kafka: keep the invoices read model current from invoicing's events, and refund the payments
invoicing would not count."""

from __future__ import annotations

from duely_payments import autopay, expiry, refunds_service
from duely_payments import repository as repo
from duely_runtime.kit.clock import utcnow

# Every one of these carries the invoice's full snapshot; newer aggregate_version wins. A partial payment
# (invoice.payment_succeeded) and a refund's reopening (invoice.reopened) change status and balance too:
# without them the read model stays `paid` after a refund, and a pay request is refused as already paid.
INVOICE_EVENTS = ("invoice.issued", "invoice.paid", "invoice.past_due", "invoice.voided",
                  "invoice.marked_uncollectible", "invoice.payment_succeeded", "invoice.reopened")


def register(runtime, charging, autopay_executor=None, settings=None) -> None:
    async def remember_invoice(session, envelope, event) -> None:
        await repo.apply_invoice_snapshot(session, event.invoice, envelope.aggregate_version, utcnow())

    for event_type in INVOICE_EVENTS:
        runtime.consumers.on(event_type)(remember_invoice)

    @runtime.consumers.on("invoice.payment_rejected")
    async def refund_rejected_payment(session, envelope, event) -> None:
        now = utcnow()
        await repo.apply_invoice_snapshot(session, event.invoice, envelope.aggregate_version, now)
        if await refunds_service.request_refund(session, envelope, event, now) is not None:
            # Wake the refund worker once the request is committed.
            session.sync_session.info.setdefault("after_commit", []).append(charging.refunds_due.set)

    if autopay_executor is not None:
        @runtime.consumers.on("dunning.autopay_charge_due")
        async def request_autopay_charge(session, envelope, event) -> None:
            if await autopay.request_charge(session, envelope, event):
                # Wake the AutoPay worker once the request is committed.
                session.sync_session.info.setdefault("after_commit", []).append(autopay_executor.due.set)

    if settings is not None:
        @runtime.consumers.on("dunning.payment_method_expiry_due")
        async def warn_of_expiring_card(session, envelope, event) -> None:
            await expiry.warn_if_expiring(
                session, charging.outbox, envelope, event, settings=settings,
                organization_name=await repo.organization_name(session, envelope.organization_id))
