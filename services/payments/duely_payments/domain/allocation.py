"""How one payment for several invoices is shared among them: oldest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class OpenInvoice:
    id: str
    number: str | None
    due_date: date | None
    amount_due: int


def oldest_first(invoices: list[OpenInvoice]) -> list[OpenInvoice]:
    """By due date (none last), then number, then id: the order a partial payment fills them in."""
    return sorted(invoices, key=lambda i: (i.due_date is None, i.due_date or date.min, i.number or "", i.id))


def allocate(amount: int, invoices: list[OpenInvoice]) -> list[tuple[OpenInvoice, int]]:
    """Each invoice's share of `amount` (1 ≤ amount ≤ their total due), oldest first: every invoice is paid in
    full until the money runs out; the last one may be paid in part. Invoices that get nothing are left out."""
    shares: list[tuple[OpenInvoice, int]] = []
    left = amount
    for invoice in oldest_first(invoices):
        if left <= 0:
            break
        share = min(left, invoice.amount_due)
        shares.append((invoice, share))
        left -= share
    return shares
