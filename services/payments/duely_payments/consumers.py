"""Kafka: keep the invoices read model current from invoicing's events."""

from __future__ import annotations

from datetime import datetime, timezone

from duely_payments import repository as repo

# Every one of these carries the invoice's full snapshot; newer aggregate_version wins.
INVOICE_EVENTS = ("invoice.issued", "invoice.paid", "invoice.past_due", "invoice.voided",
                  "invoice.marked_uncollectible")


def register(runtime) -> None:
    async def remember_invoice(session, envelope, event) -> None:
        await repo.apply_invoice_snapshot(session, event.invoice, envelope.aggregate_version,
                                          datetime.now(timezone.utc))

    for event_type in INVOICE_EVENTS:
        runtime.consumers.on(event_type)(remember_invoice)
