"""Reserving an invoice for a charge, and releasing it (domain/charge_reservation.py has the rules).

Payments calls these over the internal API while a person waits to pay. Both are
idempotent, so payments may repeat a request whose answer it did not receive. Nothing
here changes the invoice's version or publishes an event: a reservation is not a state
of the invoice that other services follow, only a lock that void and write-off respect.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from duely_invoicing.domain.charge_reservation import closing_refusal, reservation_refusal
from duely_invoicing.invoices import repository
from duely_invoicing.models import Invoice
from duely_runtime.errors import conflict, found


async def reserve_charge(session: AsyncSession, organization_id: str, invoice_id: str, attempt_id: str, *,
                         now: datetime, ttl: timedelta) -> Invoice:
    """Hold the invoice for `attempt_id` until `now + ttl` (renewed when it already has it)."""
    invoice = await _locked_invoice(session, organization_id, invoice_id)
    refusal = reservation_refusal(invoice.status, invoice.amount_due, invoice.charge_reserved_by,
                                  invoice.charge_reserved_until, attempt_id, now)
    if refusal:
        raise conflict(refusal.code, refusal.message)
    # Granted, or renewed when the attempt already holds it (payments renews while the gateway is slow).
    invoice.charge_reserved_by, invoice.charge_reserved_until = attempt_id, now + ttl
    return invoice


async def release_charge(session: AsyncSession, organization_id: str, invoice_id: str, attempt_id: str) -> bool:
    """End the attempt's hold; False when it held nothing (released, expired and taken over, never granted)."""
    invoice = await _locked_invoice(session, organization_id, invoice_id)
    return end_reservation(invoice, attempt_id)


def end_reservation(invoice: Invoice, attempt_id: str | None) -> bool:
    """Clear the hold if `attempt_id` has it: its outcome is known."""
    if attempt_id is None or invoice.charge_reserved_by != attempt_id:
        return False
    invoice.charge_reserved_by, invoice.charge_reserved_until = None, None
    return True


def refuse_to_close_while_reserved(invoice: Invoice, now: datetime) -> None:
    """Void and write-off wait for a charge in flight: it may be taking money for this invoice."""
    refusal = closing_refusal(invoice.charge_reserved_by, invoice.charge_reserved_until, now)
    if refusal:
        raise conflict(refusal.code, refusal.message)


async def _locked_invoice(session: AsyncSession, organization_id: str, invoice_id: str) -> Invoice:
    # Under the invoice's row lock, the same one void and write-off take: one of them goes first.
    return found(await repository.get_invoice(session, organization_id, invoice_id, for_update=True),
                 "invoice", invoice_id)
