"""Idempotency keys of emails, derived from their cause, and the Message-ID made from them.

The same cause always yields the same key, so a replayed event inserts nothing
new; the same key always yields the same Message-ID, so a resend after a crash
between "sent" and "marked sent" is recognisably the same email.
"""

from __future__ import annotations

import hashlib


def invoice_issued_key(invoice_id: str) -> str:
    return f"invoice_issued:{invoice_id}"


def payment_receipt_key(payment_id: str) -> str:
    return f"payment_receipt:{payment_id}"


def payment_failed_key(invoice_id: str, attempt_number: int) -> str:
    return f"payment_failed:{invoice_id}:{attempt_number}"


def payment_refunded_key(refund_id: str) -> str:
    return f"payment_refunded:{refund_id}"


def reminder_key(timer_id: str, channel: str) -> str:
    """One reminder per collection timeline entry and channel (dunning.reminder_due), however often the
    event is delivered."""
    return f"invoice_reminder:{timer_id}:{channel}"


def payment_method_expiring_key(payment_method_id: str, exp_month: int, exp_year: int) -> str:
    return f"payment_method_expiring:{payment_method_id}:{exp_year:04d}-{exp_month:02d}"


def portal_link_key(event_id: str) -> str:
    """One sign-in email per portal.link_requested event (the portal rate limits the requests)."""
    return f"portal_link:{event_id}"


def message_id_header(idempotency_key: str, domain: str = "duely.local") -> str:
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"
