"""Dunning use cases. Each runs inside the caller's transaction (the consumer
wrapper, the HTTP edge or the timer worker) and never commits."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts import Envelope
from duely_contracts.events import (
    AutopayChargeDue, AutopaySkipped, InvoiceOverdueDetected, InvoicePaymentApplied, InvoicePaymentFailed,
    InvoiceReopened, PaymentMethodExpiryDue, PaymentProcessing, PaymentSucceeded,
)
from duely_contracts.models import InvoiceSnapshot, InvoiceSummary, PaymentMethodRef
from duely_runtime import context
from duely_runtime.errors import not_found
from duely_runtime.outbox import Outbox
from duely_dunning import collection_actions, repository
from duely_dunning.domain.clock_arithmetic import org_now
from duely_dunning.domain.collection import (
    STATUS_AFTER_EVENT, CollectionStatus, is_closed, is_new_failure, is_newer, needs_overdue_notice,
)
from duely_dunning.domain.schedule import (
    PlannedTimer, TimerKind, card_expired, expiry_check_for, overdue_after_late_failure, overdue_at,
    timers_for_issued_invoice,
)
from duely_dunning.live_state import LiveInvoices
from duely_dunning.models import (
    SUBJECT_INVOICE, SUBJECT_PAYMENT_METHOD, CollectionEvent, CollectionState, Timer,
)
from duely_dunning.org_clocks import Clock
from duely_dunning.timers import TIMERS, Firing, fire_if_due, plan_entry

log = logging.getLogger(__name__)

# How long a test-clock advance waits for timers another worker is firing right now.
ADVANCE_WAIT_S = 10.0

SKIPPED_PAYMENT_PROCESSING = "skipped_payment_processing"


# -- collection state from invoice and payment events ---------------------------

async def record_invoice_event(session: AsyncSession, *, event_type: str, invoice: InvoiceSnapshot,
                               organization_id: str, version: int, correlation_id: str,
                               now: datetime, real_now: datetime, outbox: Outbox | None = None,
                               envelope: Envelope | None = None) -> CollectionState | None:
    """Apply an invoice snapshot event: create or update the state, plan or cancel entries, and
    (with its envelope) keep it in the invoice's history."""
    status = STATUS_AFTER_EVENT[event_type]
    state = await repository.get_state(session, invoice.id)
    if state is not None and state.organization_id != organization_id:
        log.warning("invoice event for another organization's invoice ignored",
                    extra={"invoice_id": invoice.id, "organization_id": organization_id})
        return None
    if envelope is not None:
        detail = {"status": invoice.status, "amount_due": invoice.amount_due, "version": version}
        at = envelope.occurred_at
        if event_type == "invoice.paid":
            payload = envelope.data
            detail["payment_id"] = payload.get("payment_id")
        await _remember(session, envelope, invoice.id, organization_id, f"v{version}", detail, at, real_now)
    if state is not None and not is_newer(version, state.version):
        return state  # stale: a newer version was applied already
    if state is None:
        state = CollectionState(invoice_id=invoice.id, organization_id=organization_id, failure_count=0,
                                events_published=0, created_at=real_now)
        repository.add_state(session, state)
    _apply_snapshot(state, invoice, status, version, correlation_id, real_now)
    if is_closed(status):
        state.closed_at = now
        state.processing_attempt_id = None
        await session.flush()
        await repository.cancel_pending_timers(session, invoice.id, now)
    elif status == CollectionStatus.OPEN:
        await session.flush()
        entries = timers_for_issued_invoice(invoice.due_date, invoice.autopay) + \
            collection_actions.entries_at_issue(state, now)
        planned = [await plan_entry(session, organization_id=organization_id, subject_type=SUBJECT_INVOICE,
                                    subject_id=invoice.id, planned=entry, real_now=real_now)
                   for entry in entries]
        await fire_if_due(session, outbox, planned, state, now)
    return state


def _apply_snapshot(state: CollectionState, invoice: InvoiceSnapshot, status: str, version: int,
                    correlation_id: str, real_now: datetime) -> None:
    state.number = invoice.number
    state.customer_id = invoice.customer.id
    state.due_date = invoice.due_date
    state.amount_due = invoice.amount_due
    state.currency = invoice.currency
    state.status = status
    state.version = version
    state.correlation_id = state.correlation_id or correlation_id
    state.subscription_id = invoice.subscription_id
    plan = invoice.autopay
    state.autopay = bool(plan and plan.enabled)
    state.autopay_payment_method_id = plan.payment_method.id if plan and plan.enabled and plan.payment_method \
        and plan.payment_method_source in ("subscription", "customer") else None
    if invoice.collection is not None:
        state.collection_plan = invoice.collection.model_dump(mode="json")
    state.updated_at = real_now


async def record_payment_applied(session: AsyncSession, *, envelope: Envelope, event: InvoicePaymentApplied,
                                 real_now: datetime) -> CollectionState | None:
    """A payment was counted (partial or final): history, and the new balance when newer."""
    invoice = event.invoice
    state = await _own_state(session, invoice.id, envelope.organization_id)
    if state is False:
        return None
    await _remember(session, envelope, invoice.id, envelope.organization_id, event.payment_id, {
        "payment_id": event.payment_id, "amount": event.amount, "currency": event.currency,
        "method_type": event.method_type, "amount_due": invoice.amount_due, "credit_added": event.credit_added,
    }, event.paid_at, real_now)
    if state is not None and is_newer(envelope.aggregate_version, state.version) and not is_closed(state.status):
        state.amount_due = invoice.amount_due
        state.version = envelope.aggregate_version
        state.updated_at = real_now
    return state or None


async def record_invoice_reopened(session: AsyncSession, *, envelope: Envelope, event: InvoiceReopened,
                                  now: datetime, real_now: datetime) -> CollectionState | None:
    """A refund grew the balance again: the invoice is open (or past due) again and, while its due
    date has not passed, its overdue notice is planned again."""
    invoice = event.invoice
    state = await _own_state(session, invoice.id, envelope.organization_id)
    if state is False:
        return None
    await _remember(session, envelope, invoice.id, envelope.organization_id,
                    event.refund_id or f"v{envelope.aggregate_version}", {
                        "reason": event.reason, "payment_id": event.payment_id, "refund_id": event.refund_id,
                        "amount": event.amount, "amount_due": invoice.amount_due, "status": invoice.status,
                    }, envelope.occurred_at, real_now)
    if state is not None and not is_newer(envelope.aggregate_version, state.version):
        return state
    status = CollectionStatus.PAST_DUE if invoice.status == CollectionStatus.PAST_DUE else CollectionStatus.OPEN
    if state is None:
        state = CollectionState(invoice_id=invoice.id, organization_id=envelope.organization_id, failure_count=0,
                                events_published=0, created_at=real_now)
        repository.add_state(session, state)
    _apply_snapshot(state, invoice, status, envelope.aggregate_version, envelope.correlation_id, real_now)
    state.closed_at = None
    await session.flush()
    if status == CollectionStatus.OPEN and invoice.due_date is not None:
        # The entry cancelled when the invoice was paid comes back (it never fired); none yet: plan it.
        if not await repository.restore_cancelled_timers(session, invoice.id, TimerKind.OVERDUE):
            await plan_entry(session, organization_id=envelope.organization_id, subject_type=SUBJECT_INVOICE,
                             subject_id=invoice.id, planned=PlannedTimer(TimerKind.OVERDUE,
                                                                         overdue_at(invoice.due_date)),
                             real_now=real_now)
    return state


async def _own_state(session: AsyncSession, invoice_id: str, organization_id: str) -> CollectionState | None | bool:
    """The invoice's state, None when unknown yet, False when it is another organization's."""
    state = await repository.get_state(session, invoice_id)
    if state is not None and state.organization_id != organization_id:
        log.warning("collection event for another organization's invoice ignored",
                    extra={"invoice_id": invoice_id, "organization_id": organization_id})
        return False
    return state


async def _remember(session: AsyncSession, envelope: Envelope, invoice_id: str, organization_id: str,
                    source_key: str, detail: dict, at: datetime, real_now: datetime) -> bool:
    """One history row per fact; True the first time."""
    return await repository.record_collection_event(session, {
        "invoice_id": invoice_id, "organization_id": organization_id, "type": envelope.type,
        "source_key": str(source_key)[:100], "event_id": envelope.id, "at": at, "detail": detail,
        "created_at": real_now})


def _state_from_summary(summary: InvoiceSummary, organization_id: str, correlation_id: str,
                        real_now: datetime) -> CollectionState:
    """A payment event overtook invoice.issued: start from its summary; version 0 lets any invoice
    snapshot replace these facts."""
    return CollectionState(
        invoice_id=summary.id, organization_id=organization_id, number=summary.number,
        customer_id=summary.customer.id, due_date=summary.due_date, amount_due=summary.amount_due,
        currency=summary.currency, status=CollectionStatus.OPEN, version=0, failure_count=0,
        events_published=0, correlation_id=correlation_id, created_at=real_now, updated_at=real_now)


async def record_payment_processing(session: AsyncSession, *, envelope: Envelope, event: PaymentProcessing,
                                    real_now: datetime) -> CollectionState | None:
    """A bank debit started: until its outcome the overdue notice waits (and AutoPay does not ask again)."""
    state = await _own_state(session, event.invoice_id, envelope.organization_id)
    if state is False:
        return None
    first_time = await _remember(session, envelope, event.invoice_id, envelope.organization_id, event.attempt_id, {
        "attempt_id": event.attempt_id, "amount": event.amount, "currency": event.currency,
        "method_type": event.method_type, "payment_method": event.payment_method, "autopay": event.autopay,
    }, event.started_at, real_now)
    if state is None:
        state = _state_from_summary(event.invoice, envelope.organization_id, envelope.correlation_id, real_now)
        repository.add_state(session, state)
        await session.flush()
    if not first_time or is_closed(state.status):
        return state
    # Its outcome may have overtaken it (another topic): a late failure since it started ends it already.
    if await repository.attempt_settled(session, event.invoice_id, event.attempt_id) or \
            await repository.late_failure_since(session, event.invoice_id, event.started_at):
        return state
    state.processing_attempt_id = event.attempt_id
    state.updated_at = real_now
    return state


async def record_payment_succeeded(session: AsyncSession, *, envelope: Envelope, event: PaymentSucceeded,
                                   real_now: datetime) -> CollectionState | None:
    state = await _own_state(session, event.invoice_id, envelope.organization_id)
    if state is False:
        return None
    await _remember(session, envelope, event.invoice_id, envelope.organization_id, event.payment_id, {
        "payment_id": event.payment_id, "attempt_id": event.attempt_id, "amount": event.amount,
        "currency": event.currency, "method_type": event.method_type, "manual": event.manual,
        "autopay": event.autopay, "reference": event.reference,
    }, event.succeeded_at, real_now)
    if state is not None and state.processing_attempt_id is not None \
            and state.processing_attempt_id == event.attempt_id:
        state.processing_attempt_id = None
        state.updated_at = real_now
    return state


async def record_autopay_skipped(session: AsyncSession, *, envelope: Envelope, event: AutopaySkipped,
                                 real_now: datetime) -> None:
    """AutoPay's moment came and payments did not charge: the merchant sees why on the timeline."""
    if await _own_state(session, event.invoice_id, envelope.organization_id) is False:
        return
    await _remember(session, envelope, event.invoice_id, envelope.organization_id, event.timer_id or envelope.id, {
        "reason": event.reason, "message": event.message, "payment_method_id": event.payment_method_id,
        "timer_id": event.timer_id,
    }, event.skipped_at, real_now)


async def record_payment_failure(session: AsyncSession, *, event: InvoicePaymentFailed, organization_id: str,
                                 correlation_id: str, real_now: datetime, envelope: Envelope | None = None,
                                 outbox: Outbox | None = None, now: datetime | None = None,
                                 ) -> CollectionState | None:
    """Count a failed attempt once, however often or in whatever order it arrives. A late bank-debit
    failure ends the debit in flight; if the overdue notice was held back for it and the due date has
    passed, the notice goes now."""
    state = await repository.get_state(session, event.invoice_id)
    if state is not None and state.organization_id != organization_id:
        log.warning("payment failure for another organization's invoice ignored",
                    extra={"invoice_id": event.invoice_id, "organization_id": organization_id})
        return None
    if envelope is not None:
        await _remember(session, envelope, event.invoice_id, organization_id, f"attempt_{event.attempt_number}", {
            "attempt_number": event.attempt_number, "failure_code": event.failure_code,
            "failure_reason": event.failure_reason, "amount": event.amount, "currency": event.currency,
            "method_type": event.method_type, "payment_method": event.payment_method, "late": event.late,
            "autopay": event.autopay, "hard_decline": event.hard_decline,
        }, event.failed_at, real_now)
    if state is None:
        state = _state_from_summary(event.invoice, organization_id, correlation_id, real_now)
        repository.add_state(session, state)
        await session.flush()
    first_time = await repository.record_payment_failure(session, {
        "invoice_id": event.invoice_id, "attempt_number": event.attempt_number, "organization_id": organization_id,
        "failure_code": event.failure_code, "failed_at": event.failed_at})
    if not first_time:
        return state
    state.failure_count += 1
    state.hard_declined = state.hard_declined or event.hard_decline
    state.autopay = state.autopay or event.autopay
    if is_new_failure(event.attempt_number, state.last_failure_attempt):
        state.last_failure_attempt = event.attempt_number
        state.last_failure_code = event.failure_code
        state.last_failure_at = event.failed_at
    state.updated_at = real_now
    if event.late and state.processing_attempt_id is not None:
        state.processing_attempt_id = None
        await session.flush()
        await _replan_overdue_after_late_failure(session, outbox, state, event.attempt_number,
                                                 now or real_now, real_now)
    if event.autopay and not is_closed(state.status):
        # Day 0 of dunning for an AutoPay invoice: its first failed charge.
        started = await collection_actions.start_dunning(session, state, now or real_now, started_by="payment_failed",
                                                         real_now=real_now)
        await fire_if_due(session, outbox, started, state, now or real_now)
    return state


async def _replan_overdue_after_late_failure(session: AsyncSession, outbox: Outbox | None,
                                             state: CollectionState, attempt_number: int, now: datetime,
                                             real_now: datetime) -> None:
    if state.due_date is None or now < overdue_at(state.due_date):
        return  # the overdue entry is still ahead and fires as planned
    held_back = [t for t in await repository.timers_of_invoice(session, state.invoice_id)
                 if t.kind == TimerKind.OVERDUE and t.outcome == SKIPPED_PAYMENT_PROCESSING]
    if not held_back or not needs_overdue_notice(state.status, state.amount_due):
        return
    entry = await plan_entry(session, organization_id=state.organization_id, subject_type=SUBJECT_INVOICE,
                             subject_id=state.invoice_id, planned=overdue_after_late_failure(attempt_number, now),
                             real_now=real_now)
    await fire_if_due(session, outbox, [entry], state, now)


# -- payment methods' timelines: the expiry check ------------------------------------

async def record_payment_method_event(session: AsyncSession, *, event_type: str, method: PaymentMethodRef,
                                      organization_id: str, version: int, now: datetime, real_now: datetime,
                                      outbox: Outbox | None = None) -> Timer | None:
    """A saved card gets one expiry check per expiry, on its own timeline (one row, no scan of all
    methods); a changed expiry replaces the pending check, a detach cancels it. Only the newest
    version of the method counts (attached, updated and detached travel on different topics)."""
    if method.organization_id != organization_id:
        log.warning("payment method event for another organization ignored",
                    extra={"payment_method_id": method.id, "organization_id": organization_id})
        return None
    detached = event_type == "payment_method.detached" or method.status == "detached"
    newest = await repository.track_payment_method(session, {
        "id": method.id, "organization_id": organization_id, "version": version,
        "status": "detached" if detached else method.status, "updated_at": real_now})
    if not newest:
        return None
    planned = None if detached else expiry_check_for(method, now)
    await repository.cancel_pending_timers(session, method.id, now, subject_type=SUBJECT_PAYMENT_METHOD,
                                           kind=TimerKind.PAYMENT_METHOD_EXPIRY,
                                           keep_step=planned.step if planned else None,
                                           organization_id=organization_id)
    if planned is None:
        return None
    planned.detail["correlation_id"] = context.current_correlation_id()
    entry = await plan_entry(session, organization_id=organization_id, subject_type=SUBJECT_PAYMENT_METHOD,
                             subject_id=method.id, planned=planned, real_now=real_now)
    await fire_if_due(session, outbox, [entry], None, now)
    return entry


# -- timers -----------------------------------------------------------------------

@TIMERS.on(TimerKind.OVERDUE)
async def announce_overdue(firing: Firing) -> str:
    """The due date has passed: say so once, unless the invoice is settled or owes nothing, or a
    bank debit is still settling (re-planned if it fails late)."""
    state, timer = firing.state, firing.timer
    if state.due_date is None:
        return "skipped_no_due_date"
    if not needs_overdue_notice(state.status, state.amount_due):
        return f"skipped_{state.status}" if state.status != CollectionStatus.OPEN else "skipped_nothing_due"
    if state.processing_attempt_id is not None:
        return SKIPPED_PAYMENT_PROCESSING
    # Continue the invoice's journey: the timer is the cause of the event.
    state.events_published += 1  # dunning numbers its own events of the invoice (invoice_collection)
    with context.bound(state.correlation_id, timer.id):
        await firing.outbox.emit(firing.session, "dunning.invoice_overdue", InvoiceOverdueDetected(
            invoice_id=state.invoice_id, due_date=state.due_date, detected_at=firing.now,
        ), organization_id=state.organization_id, aggregate_id=state.invoice_id,
            aggregate_version=state.events_published)
    # Day 0 of dunning for an invoice paid by hand (or whose AutoPay never failed): it became past due.
    started = await collection_actions.start_dunning(firing.session, state, timer.due_at, started_by="past_due",
                                                     real_now=firing.now)
    await fire_if_due(firing.session, firing.outbox, started, state, firing.now)
    return "invoice_overdue_emitted"


@TIMERS.on(TimerKind.AUTOPAY_CHARGE)
async def request_autopay_charge(firing: Firing) -> str:
    """AutoPay's moment: ask payments to charge, unless the invoice is settled, owes nothing or a bank
    debit for it is still settling. Payments charges at most once per entry (its id)."""
    state, timer = firing.state, firing.timer
    if is_closed(state.status):
        return f"skipped_{state.status}"
    if state.amount_due <= 0:
        return "skipped_nothing_due"
    if state.processing_attempt_id is not None:
        return SKIPPED_PAYMENT_PROCESSING
    detail = timer.detail or {}
    state.events_published += 1
    with context.bound(state.correlation_id, timer.id):
        await firing.outbox.emit(firing.session, "dunning.autopay_charge_due", AutopayChargeDue(
            invoice_id=state.invoice_id, timer_id=timer.id, payment_method_id=detail.get("payment_method_id"),
            scheduled_for=timer.due_at, fired_at=firing.now,
        ), organization_id=state.organization_id, aggregate_id=state.invoice_id,
            aggregate_version=state.events_published)
    return "autopay_charge_requested"


@TIMERS.on(TimerKind.PAYMENT_METHOD_EXPIRY, subject=SUBJECT_PAYMENT_METHOD)
async def request_expiry_warning(firing: Firing) -> str:
    """The month before a saved card expires: ask payments to warn (it checks the card is still saved
    with that expiry). The event's version is the expiry itself, unique and growing per method."""
    timer, detail = firing.timer, firing.timer.detail or {}
    exp_month, exp_year = detail.get("exp_month"), detail.get("exp_year")
    if not exp_month or not exp_year or not detail.get("customer_id"):
        return "skipped_no_expiry"
    if card_expired(exp_month, exp_year, firing.now):
        return "skipped_expired"
    with context.bound(detail.get("correlation_id"), timer.id):
        await firing.outbox.emit(firing.session, "dunning.payment_method_expiry_due", PaymentMethodExpiryDue(
            payment_method_id=timer.subject_id, customer_id=detail["customer_id"], exp_month=exp_month,
            exp_year=exp_year, fired_at=firing.now,
        ), organization_id=timer.organization_id, aggregate_id=timer.subject_id,
            aggregate_version=exp_year * 12 + exp_month)
    return "expiry_warning_requested"


async def fire_due_timers(session: AsyncSession, outbox: Outbox, clock: Clock, *, cutoff: datetime, limit: int,
                          organization_id: str | None = None, live: LiveInvoices | None = None) -> list[Timer]:
    """Claim and fire up to `limit` timers due by `cutoff`, in due order, on their invoices' live balance and
    status (one call to invoicing per batch)."""
    timers = await repository.claim_due_timers(session, cutoff, limit, organization_id)
    if not timers:
        return []
    states = await repository.get_states(session, {t.subject_id for t in timers
                                                   if t.subject_type == SUBJECT_INVOICE})
    if live is not None:
        await live.refresh(states)
    offsets = await repository.clock_offsets(session, {t.organization_id for t in timers})
    real_now = clock.real()
    for timer in timers:
        now = org_now(real_now, offsets.get(timer.organization_id, 0))
        state = states.get(timer.subject_id) if timer.subject_type == SUBJECT_INVOICE else None
        await TIMERS.fire(session, outbox, timer, state, now)
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
                             seconds: int, batch_size: int, live: LiveInvoices | None = None) -> AdvanceResult:
    """Move the organization's clock forward, then fire, in due order, every one of its
    timers that fell due, all in this one transaction: either the clock moved and its
    timers fired, or neither happened."""
    offset = await repository.advance_clock(session, organization_id, seconds, clock.real())
    fired: list[Timer] = []
    deadline = asyncio.get_running_loop().time() + ADVANCE_WAIT_S
    while True:
        cutoff = org_now(clock.real(), offset)
        batch = await fire_due_timers(session, outbox, clock, cutoff=cutoff, limit=batch_size,
                                      organization_id=organization_id, live=live)
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


async def invoice_collection(session: AsyncSession, organization_id: str, invoice_id: str,
                             ) -> tuple[CollectionState, list[Timer], list[CollectionEvent]]:
    """An invoice's collection timeline: its state, its entries (planned and past) and its history."""
    state = await repository.get_state_of_org(session, organization_id, invoice_id)
    if state is None:
        raise not_found("invoice", invoice_id, param="invoice_id")
    return (state, await repository.timers_of_invoice(session, invoice_id),
            await repository.collection_events_of(session, invoice_id))
