"""How big an invoice may get.

Every invoice event carries the invoice's full snapshot, and a Kafka message is at
most 1 MiB: an invoice whose snapshot could not be published must be refused when it
is written, not discovered when the relay tries to send it.
"""

from __future__ import annotations

MAX_LINES = 250
# Half of Kafka's default message.max.bytes: room for the envelope and for what later
# events add to the snapshot (payments, status fields).
MAX_SNAPSHOT_BYTES = 512 * 1024


def too_many_lines(count: int) -> str | None:
    if count > MAX_LINES:
        return f"An invoice has at most {MAX_LINES} lines."
    return None


def snapshot_too_large(size: int) -> str | None:
    if size > MAX_SNAPSHOT_BYTES:
        return (f"The invoice would take {size:,} bytes, over the {MAX_SNAPSHOT_BYTES:,}-byte limit of an "
                "invoice: shorten line descriptions or the memo, or split it into several invoices.")
    return None
