"""Dunning use cases. Each runs inside the caller's transaction (the consumer
wrapper, the HTTP edge or the timer worker) and never commits."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts.events import InvoiceOverdueDetected, InvoicePaymentFailed
from duely_contracts.models import InvoiceSnapshot
from duely_runtime import context
from duely_runtime.errors import not_found
from duely_runtime.kit.ids import new_id
from duely_runtime.outbox import Outbox
from duely_dunning import repository
from duely_dunning.domain.clock_arithmetic import org_now
from duely_dunning.domain.collection import (
    STATUS_AFTER_EVENT, CollectionStatus, is_closed, is_new_failure, is_newer, needs_overdue_notice,
)
from duely_dunning.domain.schedule import TimerKind, timers_for_issued_invoice
from duely_dunning.models import CollectionState, Timer
from duely_dunning.org_clocks import Clock
from duely_dunning.timers import TIMERS, Firing

log = logging.getLogger(__name__)

# How long a test-clock advance waits for timers another worker is firing right now.
ADVANCE_WAIT_S = 10.0


# -- collection state from invoice and payment events ---------------------------

async def record_invoice_event(session: AsyncSession, *, event_type: str, invoice: InvoiceSnapshot,
                               organization_id: str, version: int, correlation_id: str,
                               now: datetime, real_now: datetime) -> CollectionState | None:
    """Apply an invoice snapshot event: create or update the state, schedule or cancel timers."""
    status = STATUS_AFTER_EVENT[event_type]
    state = await repository.get_state(session, invoice.id)
    if state is not None and state.organization_id != organization_id:
        log.warning("invoice event for another organization's invoice ignored",
                    extra={"invoice_id": invoice.id, "organization_id": organization_id})
        return None
    if state is not None and not is_newer(version, state.version):
        return state  # stale: a newer version was applied already
    if state is None:
        state = CollectionState(invoice_id=invoice.id, organization_id=organization_id, failure_count=0,
                                events_published=0, created_at=real_now)
        repository.add_state(session, state)
    state.number = invoice.number
    state.customer_id = invoice.customer.id
    state.due_date = invoice.due_date
    state.amount_due = invoice.amount_due
    state.currency = invoice.currency
    state.status = status
    state.version = version
    state.correlation_id = state.correlation_id or correlation_id
    state.updated_at = real_now
    if is_closed(status):
        state.closed_at = now
        await session.flush()
        await repository.cancel_pending_timers(session, invoice.id, now)
    elif status == CollectionStatus.OPEN:
        await session.flush()
        for planned in timers_for_issued_invoice(invoice.due_date):
            await repository.schedule_timer(session, {
                "id": new_id("tmr"), "organization_id": organization_id, "kind": planned.kind,
                "invoice_id": invoice.id, "due_at": planned.due_at, "created_at": real_now})
    return state


async def record_payment_failure(session: AsyncSession, *, event: InvoicePaymentFailed, organization_id: str,
                                 correlation_id: str, real_now: datetime) -> CollectionState | None:
    """Count a failed attempt once, however often or in whatever order it arrives."""
    state = await repository.get_state(session, event.invoice_id)
    if state is not None and state.organization_id != organization_id:
        log.warning("payment failure for another organization's invoice ignored",
                    extra={"invoice_id": event.invoice_id, "organization_id": organization_id})
        return None
    if state is None:
        # The failure overtook invoice.issued: start from the summary; version 0 lets any
        # invoice snapshot replace these facts while the failure count stays.
        summary = event.invoice
        state = CollectionState(
            invoice_id=event.invoice_id, organization_id=organization_id, number=summary.number,
            customer_id=summary.customer.id, due_date=summary.due_date, amount_due=summary.amount_due,
            currency=summary.currency, status=CollectionStatus.OPEN, version=0, failure_count=0,
            events_published=0,
            correlation_id=correlation_id, created_at=real_now, updated_at=real_now)
        repository.add_state(session, state)
        await session.flush()
    first_time = await repository.record_payment_failure(session, {
        "invoice_id": event.invoice_id, "attempt_number": event.attempt_number, "organization_id": organization_id,
        "failure_code": event.failure_code, "failed_at": event.failed_at})
    if not first_time:
        return state
    state.failure_count += 1
    if is_new_failure(event.attempt_number, state.last_failure_attempt):
        state.last_failure_attempt = event.attempt_number
        state.last_failure_code = event.failure_code
        state.last_failure_at = event.failed_at
    state.updated_at = real_now
    return state


# -- timers -----------------------------------------------------------------------

@TIMERS.on(TimerKind.OVERDUE)
async def announce_overdue(firing: Firing) -> str:
    """The due date has passed: say so once, unless the invoice is settled or owes nothing."""
    state, timer = firing.state, firing.timer
    if state.due_date is None:
        return "skipped_no_due_date"
    if not needs_overdue_notice(state.status, state.amount_due):
        return f"skipped_{state.status}" if state.status != CollectionStatus.OPEN else "skipped_nothing_due"
    # Continue the invoice's journey: the timer is the cause of the event.
    state.events_published += 1  # dunning numbers its own events of the invoice (invoice_collection)
    with context.bound(state.correlation_id, timer.id):
        await firing.outbox.emit(firing.session, "dunning.invoice_overdue", InvoiceOverdueDetected(
            invoice_id=state.invoice_id, due_date=state.due_date, detected_at=firing.now,
        ), organization_id=state.organization_id, aggregate_id=state.invoice_id,
            aggregate_version=state.events_published)
    return "invoice_overdue_emitted"


async def fire_due_timers(session: AsyncSession, outbox: Outbox, clock: Clock, *, cutoff: datetime, limit: int,
                          organization_id: str | None = None) -> list[Timer]:
    """Claim and fire up to `limit` timers due by `cutoff`, in due order."""
    timers = await repository.claim_due_timers(session, cutoff, limit, organization_id)
    if not timers:
        return []
    states = await repository.get_states(session, {t.invoice_id for t in timers})
    offsets = await repository.clock_offsets(session, {t.organization_id for t in timers})
    real_now = clock.real()
    for timer in timers:
        now = org_now(real_now, offsets.get(timer.organization_id, 0))
        await TIMERS.fire(session, outbox, timer, states.get(timer.invoice_id), now)
    await session.flush()
    return timers


# -- test clocks ------------------------------------------------------------------

@dataclass
class ClockReading:
    organization_id: str
    now: datetime
    offset_seconds: int


@dataclass
class AdvanceResult:
    clock: ClockReading
    fired: list[Timer]


async def read_test_clock(session: AsyncSession, clock: Clock, organization_id: str) -> ClockReading:
    offset = await repository.clock_offset(session, organization_id)
    return ClockReading(organization_id, org_now(clock.real(), offset), offset)


async def advance_test_clock(session: AsyncSession, outbox: Outbox, clock: Clock, *, organization_id: str,
                             seconds: int, batch_size: int) -> AdvanceResult:
    """Move the organization's clock forward, then fire, in due order, every one of its
    timers that fell due, all in this one transaction: either the clock moved and its
    timers fired, or neither happened."""
    offset = await repository.advance_clock(session, organization_id, seconds, clock.real())
    fired: list[Timer] = []
    deadline = asyncio.get_running_loop().time() + ADVANCE_WAIT_S
    while True:
        cutoff = org_now(clock.real(), offset)
        batch = await fire_due_timers(session, outbox, clock, cutoff=cutoff, limit=batch_size,
                                      organization_id=organization_id)
        fired.extend(batch)
        if len(batch) == batch_size:
            continue
        # Anything still due is being fired by the background worker right now; wait for it.
        if not await repository.has_due_timers(session, cutoff, organization_id):
            break
        if asyncio.get_running_loop().time() > deadline:
            log.warning("test clock advance left timers to the worker", extra={"organization_id": organization_id})
            break
        await asyncio.sleep(0.05)
    return AdvanceResult(ClockReading(organization_id, org_now(clock.real(), offset), offset), fired)


# -- operators' view ----------------------------------------------------------------

async def collection_state(session: AsyncSession, organization_id: str,
                           invoice_id: str) -> tuple[CollectionState, list[Timer]]:
    state = await repository.get_state_of_org(session, organization_id, invoice_id)
    if state is None:
        raise not_found("invoice collection state", invoice_id, param="invoice_id")
    return state, await repository.timers_of_invoice(session, invoice_id)
