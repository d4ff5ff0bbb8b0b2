"""The payment history in the customer's words: "Visa ending 4242 — declined on 29 Nov 2026: insufficient
funds", "Paid on 29 Nov 2026 with Visa ending 4242", "Refunded on 30 Nov 2026". Built only from the card's brand and last4 and the
customer-safe reason payments put on its events: never a `pm_…` id nor the gateway's own message."""

from __future__ import annotations

from collections.abc import Mapping

from duely_contracts.models import CUSTOMER_FAILURE_REASONS
from duely_presentation.cards import brand_name

# Reasons with words of their own; any other decline (lost, stolen, generic…) just says "declined".
REASONS = frozenset(CUSTOMER_FAILURE_REASONS) - {"card_declined"}

# Refunds payments made by itself: the payment landed on an invoice that was closed or already paid. Said on
# the line; the reasons a seller gives (requested_by_customer, duplicate, fraudulent, other) are not.
AUTOMATIC_REFUND_REASONS = frozenset({"invoice_already_paid", "invoice_void", "invoice_uncollectible"})


def method_words(labels: Mapping[str, str], brand: str | None, last4: str | None) -> str:
    """'Visa ending 4242', 'Visa card', or the page's word for a card when the gateway said nothing."""
    if last4:
        return labels["page_card_ending"].format(brand=brand_name(brand or "card"), last4=last4)
    if brand:
        return labels["page_card_of"].format(brand=brand_name(brand))
    return labels["page_card"]


def reason_of(failure_reason: str | None, failure_code: str | None) -> str | None:
    """The reason to name, if any. Rows from before events carried a safe reason fall back on the
    gateway's code, but only when it is one of the codes we have customer words for."""
    for candidate in (failure_reason, failure_code):
        if candidate in REASONS:
            return candidate
    return None


def history_line(labels: Mapping[str, str], *, succeeded: bool, date: str, brand: str | None, last4: str | None,
                 failure_reason: str | None = None, failure_code: str | None = None) -> str:
    method = method_words(labels, brand, last4)
    if succeeded:
        return labels["page_history_paid"].format(date=date, method=method)
    reason = reason_of(failure_reason, failure_code)
    if reason is None:
        return labels["page_history_declined_plain"].format(method=method, date=date)
    return labels["page_history_declined"].format(method=method, date=date, reason=labels[f"page_reason_{reason}"])


def refund_line(labels: Mapping[str, str], *, date: str, reason: str) -> str:
    """'Refunded on 30 Nov 2026', or with why when the refund was automatic."""
    if reason in AUTOMATIC_REFUND_REASONS:
        return labels["page_history_refunded_reason"].format(date=date, reason=labels[f"page_refund_reason_{reason}"])
    return labels["page_history_refunded"].format(date=date)
