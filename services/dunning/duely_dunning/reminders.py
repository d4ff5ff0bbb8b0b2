"""A reminder asked for by hand (POST /v1/invoices/{id}/remind): on the invoice's timeline and its
one-reminder-per-day ledger like the automatic ones, so a manual reminder today satisfies an automatic one
due today and a second request the same day (manual or not) sends nothing (429)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from duely_runtime.errors import ApiError, conflict, not_found
from duely_runtime.invoicing_client import InvoicingClient
from duely_runtime.outbox import Outbox
from duely_dunning import collection_actions, repository
from duely_dunning.domain.collection import STATUS_AFTER_EVENT, CollectionStatus
from duely_dunning.domain.dunning_plan import manual_reminder
from duely_dunning.live_state import LiveInvoices
from duely_dunning.models import SUBJECT_INVOICE, CollectionState, Timer
from duely_dunning.org_clocks import Clock
from duely_dunning.service import record_invoice_event
from duely_dunning.timers import TIMERS, plan_entry

# Invoicing's status → the snapshot event that status follows (for an invoice dunning has not heard of yet).
EVENT_OF_STATUS = {"issued": "invoice.issued", "past_due": "invoice.past_due", "paid": "invoice.paid",
                   "void": "invoice.voided", "uncollectible": "invoice.marked_uncollectible"}


async def known_state(session: AsyncSession, outbox: Outbox, clock: Clock, invoicing: InvoicingClient | None,
                      organization_id: str, invoice_id: str) -> CollectionState:
    """The invoice's collection state; one invoicing issued a moment ago (its invoice.issued still on the way)
    is taken from invoicing's snapshot, as the event would have (the event then changes nothing)."""
    state = await repository.get_state_of_org(session, organization_id, invoice_id)
    if state is not None or invoicing is None:
        if state is None:
            raise not_found("invoice", invoice_id, param="invoice_id")
        return state
    snapshot = await invoicing.fetch_invoice(organization_id, invoice_id)
    event_type = EVENT_OF_STATUS.get(snapshot.status) if snapshot else None
    if snapshot is None or event_type is None or event_type not in STATUS_AFTER_EVENT:
        raise not_found("invoice", invoice_id, param="invoice_id")  # a draft, or no such invoice here
    try:
        async with session.begin_nested():  # the consumer may be recording the same invoice.issued right now
            state = await record_invoice_event(
                session, event_type=event_type, invoice=snapshot, organization_id=organization_id,
                version=snapshot.version, correlation_id=f"remind_{invoice_id}",
                now=await clock.now_for(session, organization_id), real_now=clock.real(), outbox=outbox)
    except IntegrityError:  # it did, and committed first: its state is the one
        state = await repository.get_state_of_org(session, organization_id, invoice_id)
    if state is None:
        raise not_found("invoice", invoice_id, param="invoice_id")
    return state


async def remind_now(session: AsyncSession, outbox: Outbox, clock: Clock, live: LiveInvoices,
                     invoicing: InvoicingClient | None, *, organization_id: str, invoice_id: str, tone: str,
                     channels: list[str] | None) -> Timer:
    state = await known_state(session, outbox, clock, invoicing, organization_id, invoice_id)
    await live.refresh({state.invoice_id: state})
    if state.status not in (CollectionStatus.OPEN, CollectionStatus.PAST_DUE) or state.amount_due <= 0:
        shown = "issued" if state.status == CollectionStatus.OPEN else state.status
        raise conflict("invoice_not_remindable", f"Invoice {invoice_id} is {shown} and owes nothing to remind of; "
                                                 "only issued or past_due invoices with a balance can be reminded.",
                       param="invoice_id")
    now = await clock.now_for(session, organization_id)
    day = now.date()
    if (already := await collection_actions.reminded_on(session, invoice_id, day)) is not None:
        raise _throttled(invoice_id, already.source)
    chosen = channels or collection_actions.plan_of(state).reminders.channels or ["email"]
    entry = await plan_entry(session, organization_id=organization_id, subject_type=SUBJECT_INVOICE,
                             subject_id=invoice_id, planned=manual_reminder(day, now, tone, chosen, state.due_date),
                             real_now=clock.real())
    if entry is None or not await collection_actions.claim_reminder_day(session, state, day, entry.id, "manual",
                                                                        clock.real()):
        raise _throttled(invoice_id, "manual")
    await TIMERS.fire(session, outbox, entry, state, now)
    await session.flush()
    return entry


def _throttled(invoice_id: str, source: str) -> ApiError:
    by = "by hand" if source == "manual" else "automatically"
    return ApiError(429, "reminder_throttled", f"Invoice {invoice_id} was already reminded today ({by}); one reminder "
                                               "per invoice per day. Try again tomorrow.", param="invoice_id")
