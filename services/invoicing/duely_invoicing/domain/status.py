"""The invoice status machine: which transition is legal from which status.

draft → issued → paid; issued → past_due (once, when the due date passes
unpaid); issued/past_due → void (only before any payment) or uncollectible;
a payment completing an issued, past_due or uncollectible invoice makes it paid
(a written-off invoice may still be paid, as Stripe allows); a refund of a counted payment
reopens a paid invoice: issued again, or past_due when its due date has passed. A payment that lands
on a void or already paid invoice is not counted: it is rejected, and payments
refunds it.
"""

from __future__ import annotations

from datetime import date

DRAFT, ISSUED, PAID, PAST_DUE, VOID, UNCOLLECTIBLE = "draft", "issued", "paid", "past_due", "void", "uncollectible"
STATUSES = (DRAFT, ISSUED, PAID, PAST_DUE, VOID, UNCOLLECTIBLE)
OPEN = (ISSUED, PAST_DUE)  # issued and still expected to be paid


def can_approve(status: str) -> bool:
    return status == DRAFT


def can_void(status: str, amount_paid: int) -> bool:
    return status in OPEN and amount_paid == 0


def can_mark_uncollectible(status: str) -> bool:
    return status in OPEN


def can_become_past_due(status: str, amount_due: int) -> bool:
    return status == ISSUED and amount_due > 0


def can_accept_payment(status: str) -> bool:
    return status in (ISSUED, PAST_DUE, UNCOLLECTIBLE)


def payment_rejection(status: str) -> str | None:
    """Why a payment arriving now is not counted (it is refunded), or None when the invoice takes it.

    Payments only charges open invoices, under a charge reservation that void and write-off
    respect; a payment still landing elsewhere raced a close (or outlived its reservation).
    """
    if can_accept_payment(status):
        return None
    return {PAID: "invoice_already_paid"}.get(status, f"invoice_{status}")


def reopened_status(due_date: date | None, today: date) -> str:
    """What a paid invoice becomes when a refund gives part of its payments back."""
    return PAST_DUE if due_date is not None and due_date < today else ISSUED
