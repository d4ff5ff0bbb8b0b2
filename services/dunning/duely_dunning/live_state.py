"""The invoice's balance and status as invoicing has them now, read when entries fire.

Dunning's collection state follows invoice events, which may lag a moment behind invoicing (a payment
committed, its event not yet consumed while a test clock jumps). Before a batch of entries fires, one call
asks invoicing for the live status and balance of their invoices, so no reminder, retry or overdue notice
goes out for an invoice paid a moment ago. If invoicing cannot answer, the batch fires on the state dunning
has (every receiving service checks again before it acts) and a warning is logged.
"""

from __future__ import annotations

import logging

from duely_runtime.invoicing_client import InvoicingClient, InvoicingUnavailable
from duely_dunning.domain.collection import CollectionStatus, is_closed
from duely_dunning.models import CollectionState

log = logging.getLogger(__name__)

# invoicing's invoice status → the collection status it means here.
LIVE_STATUS = {"issued": CollectionStatus.OPEN, "past_due": CollectionStatus.PAST_DUE, "paid": CollectionStatus.PAID,
               "void": CollectionStatus.VOID, "uncollectible": CollectionStatus.UNCOLLECTIBLE}


class LiveInvoices:
    def __init__(self, invoicing: InvoicingClient | None) -> None:
        self.invoicing = invoicing

    async def refresh(self, states: dict[str, CollectionState]) -> None:
        """Bring balance and status up to invoicing's (the version and history stay the events' to move)."""
        if self.invoicing is None or not states:
            return
        try:
            rows = await self.invoicing.invoice_states(sorted(states))
        except InvoicingUnavailable as unavailable:
            log.warning("live invoice state unavailable; firing on the last known state",
                        extra={"error": unavailable.detail})
            return
        for row in rows:
            state = states.get(row["id"])
            status = LIVE_STATUS.get(row["status"])
            if state is None or status is None or row["organization_id"] != state.organization_id:
                continue
            if row["version"] >= state.version:
                state.amount_due = int(row["amount_due"])
                state.status = status
                if is_closed(status) and state.closed_at is None:
                    state.processing_attempt_id = None
