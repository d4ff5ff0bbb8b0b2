"""An invoice's collection state: which events move it where, and what still needs doing."""

from __future__ import annotations

from enum import StrEnum


class CollectionStatus(StrEnum):
    OPEN = "open"
    PAST_DUE = "past_due"
    PAID = "paid"
    VOID = "void"
    UNCOLLECTIBLE = "uncollectible"


CLOSED_STATUSES = frozenset({CollectionStatus.PAID, CollectionStatus.VOID, CollectionStatus.UNCOLLECTIBLE})

# The invoice events that carry a full snapshot, and the status each one means.
STATUS_AFTER_EVENT: dict[str, CollectionStatus] = {
    "invoice.issued": CollectionStatus.OPEN,
    "invoice.past_due": CollectionStatus.PAST_DUE,
    "invoice.paid": CollectionStatus.PAID,
    "invoice.voided": CollectionStatus.VOID,
    "invoice.marked_uncollectible": CollectionStatus.UNCOLLECTIBLE,
}


def is_closed(status: str) -> bool:
    return status in CLOSED_STATUSES


def is_newer(incoming_version: int, current_version: int | None) -> bool:
    """Order across topics is not guaranteed: only a strictly newer version may change state."""
    return current_version is None or incoming_version > current_version


def needs_overdue_notice(status: str, amount_due: int) -> bool:
    """An overdue notice is due only for an invoice still open (not yet past due) with money owed."""
    return status == CollectionStatus.OPEN and amount_due > 0


def is_new_failure(attempt_number: int, last_attempt: int | None) -> bool:
    """Whether a failed attempt is the latest one seen (its code becomes the last failure code)."""
    return last_attempt is None or attempt_number >= last_attempt
