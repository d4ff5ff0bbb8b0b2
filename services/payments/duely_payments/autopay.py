"""AutoPay: dunning says a charge moment fell due (`dunning.autopay_charge_due`); payments charges the invoice's
saved method once, or says why not (`invoice.autopay_skipped`).

The consumer only writes a request row, unique per timer id, in the event's inbox transaction; the worker
(woken after that commit, and on start) executes pending requests. Executing one:

1. reads the invoice from invoicing (the authoritative snapshot: status, balance, customer, accepted methods);
2. picks the method: the event's payment_method_id, else the customer's default; skips (no gateway call) when
   there is none, it is detached, expired, pending verification, of a type the invoice does not accept, or
   the invoice is not payable or already being charged;
3. stores the attempt id it is about to use on the request (committed), then asks invoicing for the
   reservation with that id and creates the attempt with it (and marks the request charged) in one
   transaction, then calls the gateway with the attempt's idempotency key.

A crash between any two steps resumes with the same attempt id: invoicing answers the same reservation, the
attempt's primary key refuses a second one, the gateway key replays the first charge, and an attempt that
exists is the recovery worker's to finish. So one timer id is at most one attempt, and the reservation and the
one-processing-attempt index keep any other payment route off the invoice meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts.events import AutopaySkipped
from duely_contracts.models import InvoiceSnapshot
from duely_payments import repository as repo
from duely_payments.domain.charging import ChargePending, not_payable_reason, recovery_delay
from duely_payments.models import AutopayRequest, SavedPaymentMethod
from duely_payments.payment_methods import repository as methods_repo
from duely_payments.payment_methods.service import (
    DETACHED, EXPIRED, PENDING_VERIFICATION, method_types_accepted, status_of,
)
from duely_payments.service import (
    Charging, SavedMethodCharge, begin_attempt, end_reservation_after, event_keys, facts_of, invoice_summary,
    record_outcome,
)
from duely_runtime import context
from duely_runtime.errors import ApiError
from duely_runtime.invoicing_client import InvoicingUnavailable
from duely_runtime.kit.clock import utcnow
from duely_runtime.kit.ids import new_id
from duely_runtime.kit.writes import insert_ignore

log = logging.getLogger(__name__)

PENDING, STARTED, CHARGED, SKIPPED, DROPPED = "pending", "started", "charged", "skipped", "dropped"
LEASE = timedelta(seconds=60)  # longer than one batch's execution (invoicing, gateway): no second worker meanwhile
BATCH, CONCURRENCY = 32, 8  # requests claimed per transaction; executed at once (HTTP waits overlap)

# A bank debit moves one currency only (Stripe: ACH in USD, SEPA in EUR).
DEBIT_CURRENCIES = {"us_bank_account": "usd", "sepa_debit": "eur"}
METHOD_LABELS = {"card": "card", "us_bank_account": "ach_debit", "sepa_debit": "sepa_debit"}


@dataclass
class Autopay:
    charging: Charging
    due: asyncio.Event = field(default_factory=asyncio.Event)


class Skip(Exception):
    def __init__(self, reason: str, message: str, payment_method_id: str | None = None) -> None:
        super().__init__(message)
        self.reason, self.message, self.payment_method_id = reason, message, payment_method_id


# -- asked for by dunning (Kafka, in the event's inbox transaction) -----------------------

async def request_charge(session: AsyncSession, envelope, event) -> bool:
    """One pending request per timer id; False when this timer was already asked for."""
    now = utcnow()
    return await insert_ignore(session, AutopayRequest.__table__, {
        "id": new_id("apreq"), "timer_id": event.timer_id, "organization_id": envelope.organization_id,
        "invoice_id": event.invoice_id, "payment_method_id": event.payment_method_id, "status": PENDING,
        "attempt_id": None, "skip_reason": None, "correlation_id": context.current_correlation_id(), "tries": 0,
        "next_check_at": now, "created_at": now, "completed_at": None})


# -- executing requests (background worker) ------------------------------------------------

async def execute_due_requests(autopay: Autopay) -> int:
    """Claim up to BATCH due requests and execute them, CONCURRENCY at a time: each waits on invoicing and the
    gateway, and one invoice's requests never race (invoicing's reservation lets one charge hold the invoice)."""
    charging = autopay.charging
    now = utcnow()
    async with charging.db.transaction() as session:
        query = (select(AutopayRequest)
                 .where(AutopayRequest.status.in_((PENDING, STARTED)), AutopayRequest.next_check_at <= now)
                 .order_by(AutopayRequest.next_check_at).limit(BATCH).with_for_update(skip_locked=True))
        claimed = list((await session.execute(query)).scalars())
        for request in claimed:
            request.next_check_at, request.tries = now + LEASE, request.tries + 1
        jobs = [(r.id, r.organization_id, r.invoice_id, r.payment_method_id, r.attempt_id, r.timer_id,
                 r.correlation_id, r.tries) for r in claimed]
    slots = asyncio.Semaphore(CONCURRENCY)

    async def run(job) -> None:
        async with slots:
            with context.bound(job[6], job[0]):
                try:
                    await execute(charging, *job[:6])
                except (InvoicingUnavailable, ChargePending) as exc:  # nothing concluded: again later
                    log.warning("AutoPay request postponed", extra={"request_id": job[0], "error": repr(exc)})
                    async with charging.db.transaction() as session:
                        request = await session.get(AutopayRequest, job[0], with_for_update=True)
                        if request.status in (PENDING, STARTED):
                            request.next_check_at = utcnow() + recovery_delay(job[7] - 1, base_s=5, cap_s=300)

    await asyncio.gather(*(run(job) for job in jobs))
    return len(jobs)


async def execute(charging: Charging, request_id: str, organization_id: str, invoice_id: str,
                  wanted_method: str | None, attempt_id: str | None, timer_id: str) -> None:
    async with charging.db.transaction() as session:
        if attempt_id and await repo.get_attempt(session, attempt_id) is not None:
            await _finish(session, request_id, CHARGED)  # started before a crash; recovery finishes the attempt
            return
    snapshot = await charging.invoicing.fetch_invoice(organization_id, invoice_id)
    if snapshot is None:  # no such invoice for that organization: nothing to charge, nobody to tell
        log.error("AutoPay asked for an unknown invoice", extra={"invoice_id": invoice_id})
        async with charging.db.transaction() as session:
            await _finish(session, request_id, DROPPED)
        return
    async with charging.db.transaction() as session:  # kept even when we skip: the event needs it
        await repo.apply_invoice_snapshot(session, snapshot, snapshot.version, utcnow())
    try:
        async with charging.db.transaction() as session:
            method = await choose_method(session, snapshot, wanted_method)
            await refuse_unless_payable(session, snapshot)
            request = await session.get(AutopayRequest, request_id, with_for_update=True)
            if request.status not in (PENDING, STARTED):
                return
            attempt_id = request.attempt_id = request.attempt_id or new_id("payatt")
            request.status = STARTED
            saved = SavedMethodCharge(method.type, method.gateway_customer, method.gateway_mandate, autopay=True,
                                      card_brand=method.brand, card_last4=method.last4 if method.type == "card"
                                      else None)
            method_id = method.id
        try:
            reservation = await charging.invoicing.reserve_charge(organization_id, invoice_id, attempt_id)
        except ApiError as exc:
            if exc.status == 409:
                raise Skip(exc.code, _conflict_message(exc.code), method_id) from None
            if exc.status == 404:
                async with charging.db.transaction() as session:
                    await _finish(session, request_id, DROPPED)
                return
            raise
        try:
            accepted = method_types_accepted(reservation.invoice.accepted_payment_methods)
            if accepted is not None and saved.method_type not in accepted:
                raise Skip("payment_method_not_accepted", _not_accepted(saved.method_type), method_id)
            async with charging.db.transaction() as session:
                attempt = await begin_attempt(
                    session, attempt_id=attempt_id, organization_id=organization_id, invoice_id=invoice_id,
                    payment_method=method_id, snapshot=reservation.invoice, now=utcnow(),
                    check_after=charging.stale_attempt_after, saved=saved)
                await _finish(session, request_id, CHARGED)
        except IntegrityError:
            async with charging.db.transaction() as session:
                if await repo.get_attempt(session, attempt_id) is not None:  # another worker started it
                    await _finish(session, request_id, CHARGED)
                    return
            await charging.invoicing.release_charge(organization_id, invoice_id, attempt_id)
            raise Skip("payment_in_progress", _conflict_message("payment_in_progress"), method_id) from None
        except ApiError as exc:  # the invoice under the reservation is not chargeable after all
            await charging.invoicing.release_charge(organization_id, invoice_id, attempt_id)
            if exc.status == 409:
                raise Skip(exc.code if exc.code in ("payment_in_progress",) else "invoice_not_payable",
                           exc.message, method_id) from None
            raise
        except Skip:
            await charging.invoicing.release_charge(organization_id, invoice_id, attempt_id)
            raise
    except Skip as skip:
        async with charging.db.transaction() as session:
            await skip_request(session, charging, request_id, timer_id, skip)
        if attempt_id:  # a hold this request may have taken before a crash
            with contextlib.suppress(Exception):
                await charging.invoicing.release_charge(organization_id, invoice_id, attempt_id)
        return
    try:
        result = await charging.card_gateway.charge(facts_of(attempt))
    except ChargePending:
        log.warning("AutoPay charge left processing; the recovery worker will finish it",
                    extra={"attempt_id": attempt.id})
        return
    async with charging.db.transaction() as session:
        attempt = await record_outcome(session, charging.outbox, attempt.id, result, utcnow(),
                                       settle_check_after=charging.settle_check_interval)
    await end_reservation_after(charging, attempt)


async def choose_method(session: AsyncSession, snapshot: InvoiceSnapshot,
                        wanted: str | None) -> SavedPaymentMethod:
    organization_id, customer_id = snapshot.organization_id, snapshot.customer.id
    if snapshot.autopay is not None and not snapshot.autopay.enabled:
        raise Skip("autopay_disabled", "AutoPay is not enabled for this invoice.")
    if wanted:
        method = await methods_repo.get_method(session, organization_id, wanted)
        if method is None or method.customer_id != customer_id:
            raise Skip("no_payment_method", f"The AutoPay setting names payment method {wanted}, which this "
                                            "customer does not have. Save a method or change the setting.", wanted)
    else:
        method = await methods_repo.default_method(session, organization_id, customer_id)
        if method is None:
            raise Skip("no_payment_method", "The customer has no default payment method to charge. Save one "
                                            "(POST /v1/customers/{id}/payment_methods) or collect by hand.")
    status = status_of(method)
    if status == DETACHED:
        raise Skip("payment_method_not_active", f"Payment method {method.id} was removed from the customer.",
                   method.id)
    if status == EXPIRED:
        raise Skip("payment_method_expired", f"The card ending {method.last4} expired "
                                             f"{method.exp_month:02d}/{method.exp_year}; ask the customer for a "
                                             "new one.", method.id)
    if status == PENDING_VERIFICATION:
        raise Skip("payment_method_not_active", f"The bank account ending {method.last4} is not verified yet.",
                   method.id)
    accepted = method_types_accepted(snapshot.accepted_payment_methods)
    if accepted is not None and method.type not in accepted:
        raise Skip("payment_method_not_accepted", _not_accepted(method.type), method.id)
    currency = DEBIT_CURRENCIES.get(method.type)
    if currency and snapshot.currency.lower() != currency:
        raise Skip("payment_method_not_accepted", f"A {METHOD_LABELS[method.type]} debits {currency.upper()} only; "
                                                  f"this invoice is in {snapshot.currency.upper()}.", method.id)
    if method.type == "sepa_debit" and not _prenotified(snapshot, method):
        raise Skip("payment_method_not_accepted",
                   f"SEPA account ending {method.last4} was not pre-notified for this invoice: its AutoPay plan "
                   "(and so the invoice email, the debit's pre-notice) named no SEPA debit from it, so it cannot "
                   "be debited now. Collect this invoice another way; later invoices plan the SEPA debit.",
                   method.id)
    return method


def _prenotified(snapshot: InvoiceSnapshot, method: SavedPaymentMethod) -> bool:
    """A SEPA debit needs the payer told amount and date ahead (the invoice email, when the plan says
    `prenotified` for this very account). A snapshot without a plan (no AutoPay at approval) is not judged here."""
    plan = snapshot.autopay
    if plan is None:
        return True
    return bool(plan.prenotified and plan.payment_method is not None and plan.payment_method.id == method.id)


async def refuse_unless_payable(session: AsyncSession, snapshot: InvoiceSnapshot) -> None:
    if await repo.attempt_with_status(session, snapshot.id, "processing") is not None:
        raise Skip("payment_in_progress", _conflict_message("payment_in_progress"))
    reason = not_payable_reason(snapshot.status, snapshot.amount_due,
                                already_paid=await repo.fully_collected(session, snapshot.id, snapshot.total))
    if reason:
        raise Skip("invoice_not_payable", reason)


async def skip_request(session: AsyncSession, charging: Charging, request_id: str, timer_id: str, skip: Skip) -> None:
    """Say why (once: the request's status changes in the same transaction as the event)."""
    request = await session.get(AutopayRequest, request_id, with_for_update=True)
    if request.status not in (PENDING, STARTED):
        return
    request.status, request.skip_reason, request.completed_at, request.next_check_at = (
        SKIPPED, skip.reason, utcnow(), None)
    invoice = await repo.get_invoice_by_id(session, request.invoice_id)
    await charging.outbox.emit(session, "invoice.autopay_skipped", AutopaySkipped(
        invoice_id=request.invoice_id, reason=skip.reason, message=skip.message,
        payment_method_id=skip.payment_method_id or request.payment_method_id, timer_id=timer_id,
        skipped_at=utcnow(), invoice=invoice_summary(invoice),
    ), **await event_keys(session, request.organization_id, request.invoice_id))
    log.info("AutoPay skipped", extra={"invoice_id": request.invoice_id, "reason": skip.reason})


async def _finish(session: AsyncSession, request_id: str, status: str) -> None:
    request = await session.get(AutopayRequest, request_id, with_for_update=True)
    if request.status in (PENDING, STARTED):
        request.status, request.completed_at, request.next_check_at = status, utcnow(), None


def _conflict_message(code: str) -> str:
    if code == "payment_in_progress":
        return "Another payment for this invoice was being processed; AutoPay did not charge it a second time."
    return "The invoice was no longer payable (paid, voided or written off); nothing was charged."


def _not_accepted(method_type: str) -> str:
    return (f"The invoice does not accept {METHOD_LABELS.get(method_type, method_type)} payments; change the "
            "customer's accepted payment methods or their AutoPay method.")


def autopay_worker(autopay: Autopay, interval_s: float):
    async def execute_autopay_requests() -> None:
        while True:
            autopay.due.clear()
            while await execute_due_requests(autopay) == BATCH:  # more are waiting: no pause between batches
                pass
            with contextlib.suppress(asyncio.TimeoutError):  # woken early when a request arrives
                await asyncio.wait_for(autopay.due.wait(), timeout=interval_s)
    return execute_autopay_requests
