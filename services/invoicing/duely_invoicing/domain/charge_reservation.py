"""The charge reservation: while payments charges an invoice, nobody voids it or writes it off.

Payments asks for the reservation (keyed by its payment attempt's id) before it calls the
gateway. It is granted only on an invoice that can be paid now, to one attempt at a time,
and asking again with the same attempt is answered with the same reservation. It ends when
the outcome is known (invoicing applies the attempt's payment, or payments releases it after
a failure) and at the latest when it expires, so a payments process that died mid-charge
cannot block void for long; a charge that still lands after that is refunded
(domain/status.payment_rejection).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from duely_invoicing.domain.status import OPEN


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


def aware(moment: datetime | None) -> datetime | None:
    """SQLite hands timestamps back without their zone; every one we store is UTC."""
    return moment.replace(tzinfo=timezone.utc) if moment is not None and moment.tzinfo is None else moment


def is_held(holder: str | None, held_until: datetime | None, now: datetime) -> bool:
    return holder is not None and held_until is not None and aware(held_until) > now


def reservation_refusal(status: str, amount_due: int, holder: str | None, held_until: datetime | None,
                        attempt_id: str, now: datetime) -> Refusal | None:
    """Why `attempt_id` may not reserve the invoice now, or None when it may (or already holds it)."""
    if holder == attempt_id and is_held(holder, held_until, now):
        return None  # a retry of the same request: the same answer
    if status not in OPEN:
        return Refusal("invoice_not_payable", f"This invoice is {status}; only issued or past-due invoices can be paid.")
    if amount_due <= 0:
        return Refusal("invoice_not_payable", "This invoice has nothing left to pay.")
    if is_held(holder, held_until, now):
        return Refusal("payment_in_progress", "A payment for this invoice is already being processed.")
    return None


def closing_refusal(holder: str | None, held_until: datetime | None, now: datetime) -> Refusal | None:
    """Why the invoice may not be voided or written off now: a charge may be taking money for it."""
    if not is_held(holder, held_until, now):
        return None
    until = aware(held_until).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Refusal("invoice_payment_in_progress",
                   "A payment for this invoice is being processed; try again once it has finished "
                   f"(the hold ends at the latest at {until}).")
