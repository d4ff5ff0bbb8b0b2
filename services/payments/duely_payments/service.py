"""Use cases: charge an invoice, record a charge's outcome, finish charges a crash left open.

Before anything else, invoicing reserves the invoice for the attempt: while the
reservation holds, the invoice cannot be voided or written off, so a charge never
races a close. Charging then spans two transactions on purpose: the attempt is
committed before the gateway call (so a crash leaves a trace to finish), and the
outcome after it. The gateway call carries the attempt's idempotency key, so
finishing an attempt again (after a crash, or twice concurrently) can never charge
twice. A request the gateway refuses as invalid (an unknown payment method) is the caller's 400:
its attempt ends `invalid`, publishes nothing and is never listed. A failed or invalid attempt
releases the reservation at once; a succeeded one leaves it to invoicing, which ends
it when it applies the payment (so nobody voids the invoice in between). Should a charge
still land on a closed invoice (it outlived its reservation), invoicing rejects the
payment and refunds_service.py gives it back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts.events import InvoicePaymentFailed, PaymentProcessing, PaymentSucceeded
from duely_contracts.models import CustomerRef, InvoiceSnapshot, InvoiceSummary
from duely_payments import repository as repo
from duely_payments.card_gateway import CardGateway
from duely_payments.domain.charging import (
    DEBIT_METHOD_TYPES, FAILED, INVALID, PROCESSING, SUCCEEDED, AttemptFacts, ChargePending, ChargeResult, attempt_idempotency_key,
    not_payable_reason, one_off_debit_refusal, recovery_delay, safe_failure_reason,
)
from duely_payments.models import Invoice, Payment, PaymentAttempt
from duely_runtime import context
from duely_runtime.db import Database
from duely_runtime.errors import ApiError, conflict, found, invalid, not_found
from duely_runtime.invoicing_client import InvoicingClient
from duely_runtime.kit.clock import utcnow
from duely_runtime.kit.ids import new_id
from duely_runtime.kit.pagination import Page
from duely_runtime.outbox import Outbox

log = logging.getLogger(__name__)

# How often at most the recovery worker checks a stuck attempt and renews its invoice's hold.
RESERVATION_RENEWAL = timedelta(seconds=60)


@dataclass
class Charging:
    """What charging and refunding need: our database and outbox, the card gateway, invoicing."""

    db: Database
    outbox: Outbox
    card_gateway: CardGateway
    invoicing: InvoicingClient
    stale_attempt_after: timedelta = timedelta(seconds=10)
    refunds_due: asyncio.Event = field(default_factory=asyncio.Event)  # set when a refund was requested
    # How rarely a processing bank debit is asked about (its outcome normally arrives as a gateway event).
    debit_poll_interval: timedelta = timedelta(minutes=15)

    @property
    def settle_check_interval(self) -> timedelta:
        """How often the recovery worker looks at a settling debit: renew its hold, maybe poll the gateway."""
        return min(RESERVATION_RENEWAL, self.debit_poll_interval)


@dataclass(frozen=True)
class ChargeOutcome:
    attempt: PaymentAttempt


# -- charging an invoice now (HTTP: public and internal) ---------------------------

async def charge_invoice(charging: Charging, *, organization_id: str, invoice_id: str,
                         payment_method: str | None, method_type: str | None = None,
                         mandate_data: dict | None = None) -> ChargeOutcome:
    """Charge the invoice now. A card by default; a one-off bank debit (`method_type` sepa_debit or
    us_bank_account, the hosted page) with the `mandate_data` the customer accepted: it answers processing
    and settles through the gateway's signed event."""
    payment_method = (payment_method or "").strip()
    if not payment_method:
        raise invalid("payment_method", "payment_method is required, e.g. 'pm_card_visa'.", code="parameter_missing")
    method_type = method_type or "card"
    if method_type in DEBIT_METHOD_TYPES and not mandate_data:
        raise invalid("mandate_data", "A bank debit needs the mandate the customer accepted (mandate_data).",
                      code="parameter_missing")
    if method_type not in DEBIT_METHOD_TYPES and mandate_data:
        raise invalid("mandate_data", "mandate_data is only for bank debits (sepa_debit, us_bank_account).")
    if mandate_data and not mandate_data["customer_acceptance"].get("accepted_at"):
        mandate_data["customer_acceptance"]["accepted_at"] = int(utcnow().timestamp())
    await refuse_from_what_we_know(charging, organization_id, invoice_id)
    attempt_id = new_id("payatt")
    # 404 for another organization's invoice, 409 when it is not payable or another charge holds it.
    reservation = await charging.invoicing.reserve_charge(organization_id, invoice_id, attempt_id)
    try:
        if method_type in DEBIT_METHOD_TYPES:  # what the invoice accepts, as invoicing says under the hold
            refusal = one_off_debit_refusal(method_type, reservation.invoice.currency,
                                            accepted_methods_of(reservation.invoice))
            if refusal:
                raise invalid("payment_method_type", refusal[1], code=refusal[0])
        async with charging.db.transaction() as session:  # transaction 1: the attempt exists
            attempt = await begin_attempt(session, attempt_id=attempt_id, organization_id=organization_id,
                                          invoice_id=invoice_id, payment_method=payment_method,
                                          snapshot=reservation.invoice, now=utcnow(),
                                          check_after=charging.stale_attempt_after)
            if method_type in DEBIT_METHOD_TYPES:
                attempt.method_type = method_type
                attempt.gateway_mandate_data = json.dumps(mandate_data, sort_keys=True)
                await session.flush()
    except BaseException as exc:  # no attempt, so no charge follows: free the invoice at once, whatever failed
        with contextlib.suppress(Exception):
            await charging.invoicing.release_charge(organization_id, invoice_id, attempt_id)
        if isinstance(exc, IntegrityError):  # a concurrent request won the race for this invoice
            raise conflict("payment_in_progress", "A payment for this invoice is already being processed.") from None
        raise
    try:
        result = await charging.card_gateway.charge(facts_of(attempt))
    except ChargePending:
        # The reservation stays; the recovery worker renews it while it finishes the attempt.
        log.warning("charge left processing; the recovery worker will finish it", extra={"attempt_id": attempt.id})
        return ChargeOutcome(attempt)
    async with charging.db.transaction() as session:  # transaction 2: the outcome and its event
        attempt = await record_outcome(session, charging.outbox, attempt.id, result, utcnow(),
                                       settle_check_after=charging.settle_check_interval)
    await end_reservation_after(charging, attempt)
    if attempt.status == INVALID:  # nothing was charged and nothing failed: the request was wrong
        raise invalid(result.param or "payment_method", attempt.failure_message, code=attempt.failure_code)
    return ChargeOutcome(attempt)


async def refuse_from_what_we_know(charging: Charging, organization_id: str, invoice_id: str) -> None:
    """An invoice our read model already knows to be paid, closed or being charged needs no reservation."""
    async with charging.db.read() as session:
        known = await repo.get_invoice(session, organization_id, invoice_id)
        if known is not None:
            await refuse_unless_chargeable(session, known)


async def begin_attempt(session: AsyncSession, *, attempt_id: str, organization_id: str, invoice_id: str,
                        payment_method: str, snapshot: InvoiceSnapshot, now: datetime,
                        check_after: timedelta, saved: SavedMethodCharge | None = None,
                        share: int | None = None, group_id: str | None = None) -> PaymentAttempt:
    """`share`/`group_id`: the invoice's part of a charge paying several invoices (group_payments.py)."""
    await repo.apply_invoice_snapshot(session, snapshot, snapshot.version, now)  # invoicing's word, under the hold
    invoice = await repo.get_invoice(session, organization_id, invoice_id, for_update=True)
    if invoice is None:
        raise not_found("invoice", invoice_id)
    await refuse_unless_chargeable(session, invoice)
    number = await repo.last_attempt_number(session, invoice_id) + 1
    attempt = PaymentAttempt(
        id=attempt_id, organization_id=organization_id, invoice_id=invoice_id, attempt_number=number,
        status=PROCESSING, amount=invoice.amount_due if share is None else share, currency=invoice.currency,
        payment_method=payment_method, group_id=group_id,
        gateway_idempotency_key=attempt_idempotency_key(invoice_id, number),
        correlation_id=context.current_correlation_id(), gateway_checks=0,
        next_check_at=now + check_after, created_at=now)
    if saved is not None:
        attempt.method_type, attempt.gateway_customer = saved.method_type, saved.gateway_customer
        attempt.gateway_mandate, attempt.autopay = saved.gateway_mandate, saved.autopay
        attempt.card_brand, attempt.card_last4 = saved.card_brand, saved.card_last4
    await repo.add_attempt(session, attempt)
    return attempt


@dataclass(frozen=True)
class SavedMethodCharge:
    """What charging a saved method adds to an attempt (AutoPay)."""

    method_type: str
    gateway_customer: str
    gateway_mandate: str | None
    autopay: bool
    card_brand: str | None = None
    card_last4: str | None = None


async def refuse_unless_chargeable(session: AsyncSession, invoice: Invoice) -> None:
    if await repo.attempt_with_status(session, invoice.id, PROCESSING) is not None:
        raise conflict("payment_in_progress", "A payment for this invoice is already being processed.")
    reason = not_payable_reason(invoice.status, invoice.amount_due,
                                already_paid=await repo.fully_collected(session, invoice.id, invoice.total))
    if reason:
        raise conflict("invoice_not_payable", reason)


async def end_reservation_after(charging: Charging, attempt: PaymentAttempt | None) -> None:
    """A failed or invalid attempt frees the invoice now. A succeeded one does not: invoicing ends the hold
    when it applies the payment, so that nobody voids the invoice between our charge and its bookkeeping."""
    if attempt is not None and attempt.status in (FAILED, INVALID):
        await charging.invoicing.release_charge(attempt.organization_id, attempt.invoice_id, attempt.id)


def facts_of(attempt: PaymentAttempt) -> AttemptFacts:
    return AttemptFacts(attempt.id, attempt.organization_id, attempt.invoice_id, attempt.attempt_number,
                        attempt.amount, attempt.currency, attempt.payment_method,
                        attempt.method_type or "card", attempt.gateway_customer, attempt.gateway_mandate,
                        json.loads(attempt.gateway_mandate_data) if attempt.gateway_mandate_data else None)


def accepted_methods_of(snapshot: InvoiceSnapshot) -> list[str]:
    """The methods the invoice accepts: its own list, else its issuer's, else cards (older snapshots)."""
    methods = snapshot.accepted_payment_methods
    if methods is None and snapshot.issuer is not None:
        methods = snapshot.issuer.accepted_payment_methods
    return list(methods or ["card"])


# -- recording an outcome (shared by the HTTP path and recovery) ---------------------

async def record_outcome(session: AsyncSession, outbox: Outbox, attempt_id: str, result: ChargeResult,
                         now: datetime, *, settle_check_after: timedelta | None = None,
                         first_of_group: bool = True) -> PaymentAttempt:
    """Complete a processing attempt and emit its event; an attempt already completed is left alone.
    An invalid request emits nothing: no payment was tried, so there is no failure to tell anyone.
    `first_of_group`: a share of a charge for several invoices other than the first (group_payments.py)."""
    attempt = await repo.get_attempt(session, attempt_id, for_update=True)
    if attempt is None or attempt.status != PROCESSING:
        return attempt
    invoice = await repo.get_invoice_by_id(session, attempt.invoice_id)
    if result.status == PROCESSING:  # a bank debit the gateway accepted: it settles in days
        attempt.gateway_reference = result.gateway_reference or attempt.gateway_reference
        attempt.gateway_polled_at = now
        if attempt.settling_since is None:
            attempt.settling_since = now
            attempt.next_check_at = now + (settle_check_after or RESERVATION_RENEWAL)
            await outbox.emit(session, "payment.processing", PaymentProcessing(
                attempt_id=attempt.id, invoice_id=attempt.invoice_id, amount=attempt.amount,
                currency=attempt.currency, payment_method=attempt.payment_method, method_type=attempt.method_type,
                started_at=now, invoice=invoice_summary(invoice), autopay=attempt.autopay,
            ), **await event_keys(session, attempt.organization_id, attempt.invoice_id))
        await session.flush()
        return attempt
    late = attempt.settling_since is not None
    attempt.gateway_reference = result.gateway_reference
    attempt.completed_at = now
    attempt.next_check_at = None
    if result.card is not None:
        attempt.card_brand, attempt.card_last4 = result.card.brand, result.card.last4
    if result.status == INVALID:
        attempt.status = INVALID
        attempt.failure_code, attempt.failure_message = result.failure_code, result.failure_message
        if attempt.autopay:  # nobody made this request to be told it was wrong: the merchant must hear of it
            attempt.failure_reason = "card_declined"
            await outbox.emit(session, "invoice.payment_failed", InvoicePaymentFailed(
                invoice_id=attempt.invoice_id, attempt_number=attempt.attempt_number,
                failure_code=result.failure_code or "payment_method_invalid",
                failure_message=result.failure_message or "", failure_reason=attempt.failure_reason,
                card=attempt.card, amount=attempt.amount, currency=attempt.currency,
                payment_method=attempt.payment_method, failed_at=now, invoice=invoice_summary(invoice),
                method_type=attempt.method_type, autopay=True, hard_decline=True,
            ), **await event_keys(session, attempt.organization_id, attempt.invoice_id))
    elif result.succeeded:
        payment = Payment(id=new_id("pay"), organization_id=attempt.organization_id, invoice_id=attempt.invoice_id,
                          attempt_id=attempt.id, attempt_number=attempt.attempt_number, amount=attempt.amount,
                          currency=attempt.currency, payment_method=attempt.payment_method,
                          gateway_reference=result.gateway_reference, gateway_charge=result.gateway_charge,
                          created_at=now, method_type=attempt.method_type or "card", paid_at=now)
        await repo.add_payment(session, payment)
        attempt.status, attempt.payment_id = SUCCEEDED, payment.id
        await outbox.emit(session, "payment.succeeded", PaymentSucceeded(
            payment_id=payment.id, invoice_id=attempt.invoice_id, attempt_number=attempt.attempt_number,
            attempt_id=attempt.id,
            amount=attempt.amount, currency=attempt.currency, payment_method=attempt.payment_method,
            gateway_reference=result.gateway_reference, succeeded_at=now, invoice=invoice_summary(invoice),
            card=attempt.card, method_type=attempt.method_type, autopay=attempt.autopay,
        ), **await event_keys(session, attempt.organization_id, attempt.invoice_id))
    else:
        attempt.status = FAILED
        attempt.failure_code, attempt.failure_message = result.failure_code, result.failure_message
        attempt.failure_reason = result.failure_reason or safe_failure_reason(result.failure_code)
        await outbox.emit(session, "invoice.payment_failed", InvoicePaymentFailed(
            invoice_id=attempt.invoice_id, attempt_number=attempt.attempt_number,
            failure_code=result.failure_code or "card_declined", failure_message=result.failure_message or "",
            failure_reason=attempt.failure_reason, card=attempt.card,
            amount=attempt.amount, currency=attempt.currency, payment_method=attempt.payment_method,
            failed_at=now, invoice=invoice_summary(invoice),
            method_type=attempt.method_type, late=late, autopay=attempt.autopay, hard_decline=result.hard_decline,
            payment_group_id=attempt.group_id, first_of_group=first_of_group,
        ), **await event_keys(session, attempt.organization_id, attempt.invoice_id))
    await session.flush()
    return attempt


async def event_keys(session: AsyncSession, organization_id: str, invoice_id: str) -> dict:
    """Keyed by invoice so one invoice's payment events stay ordered; numbered 1, 2, 3... per invoice
    (aggregate type invoice_payments), under the invoice row's lock, so versions follow commit order."""
    return {"organization_id": organization_id, "aggregate_id": invoice_id,
            "aggregate_version": await repo.next_payment_event_version(session, invoice_id)}


def invoice_summary(invoice: Invoice) -> InvoiceSummary:
    return InvoiceSummary(id=invoice.id, number=invoice.number, organization_name=invoice.organization_name,
                          currency=invoice.currency, total=invoice.total, amount_due=invoice.amount_due,
                          due_date=invoice.due_date, customer=CustomerRef.model_validate(invoice.customer),
                          hosted_invoice_url=invoice.hosted_invoice_url)


# -- finishing attempts a crash left open (background worker) ------------------------

async def finish_stuck_attempts(charging: Charging) -> int:
    """Repeat the gateway call of each stuck attempt with its own key, then record the outcome."""
    from duely_payments.group_payments import finish_group  # it builds on this module

    now = utcnow()
    async with charging.db.transaction() as session:
        claimed = [(facts_of(a), a.correlation_id, a.gateway_checks,
                    (a.gateway_reference, a.gateway_polled_at) if a.settling_since is not None else None, a.group_id)
                   for a in await repo.claim_stuck_attempts(session, now, lease=charging.stale_attempt_after)]
    groups_done: set[str] = set()
    for facts, correlation_id, checks, settling, group_id in claimed:
        with context.bound(correlation_id, facts.id):
            if group_id is not None:  # a share of a charge for several invoices: the group's one charge, once
                if group_id not in groups_done:
                    groups_done.add(group_id)
                    await finish_group(charging, group_id, recovering=True)
                continue
            await keep_reservation(charging, facts)
            if settling is not None:
                await check_settling_debit(charging, facts, *settling)
                continue
            try:
                result = await charging.card_gateway.charge(facts)
            except ChargePending:
                async with charging.db.transaction() as session:
                    # Checked (and the reservation renewed) at least every RESERVATION_RENEWAL, well
                    # inside invoicing's hold of DUELY_INVOICING_CHARGE_RESERVATION_TTL_S (120 s).
                    delay = recovery_delay(checks, base_s=charging.stale_attempt_after.total_seconds(),
                                           cap_s=RESERVATION_RENEWAL.total_seconds())
                    await repo.postpone_check(session, facts.id, utcnow() + delay)
                continue
            async with charging.db.transaction() as session:
                attempt = await record_outcome(session, charging.outbox, facts.id, result, utcnow(),
                                               settle_check_after=charging.settle_check_interval)
            await end_reservation_after(charging, attempt)
            log.info("finished a stuck payment attempt", extra={"attempt_id": facts.id, "status": result.status})
    return len(claimed)


async def check_settling_debit(charging: Charging, facts: AttemptFacts, payment_intent: str | None,
                               polled_at: datetime | None) -> None:
    """A bank debit settling for days: its hold was just renewed (every RESERVATION_RENEWAL, as long as it
    settles); the gateway is asked only every `debit_poll_interval`, in case its event was lost."""
    now = utcnow()
    result = None
    if payment_intent and (polled_at is None or polled_at + charging.debit_poll_interval <= now):
        try:
            result = await charging.card_gateway.settlement(payment_intent)
        except ChargePending:
            result = None
    async with charging.db.transaction() as session:
        if result is not None:
            attempt = await record_outcome(session, charging.outbox, facts.id, result, now)
        else:
            attempt = None
        await repo.postpone_check(session, facts.id, utcnow() + charging.settle_check_interval)
    if attempt is not None and attempt.status != PROCESSING:
        log.info("a bank debit settled (polled)", extra={"attempt_id": facts.id, "status": attempt.status})
    await end_reservation_after(charging, attempt)


async def keep_reservation(charging: Charging, facts: AttemptFacts) -> None:
    """Renew the invoice's hold for an attempt still waiting on the gateway, so void keeps waiting too.
    When it can't be renewed (the invoice was closed after the hold lapsed), the charge is still
    finished: money that lands on a closed invoice is refunded."""
    try:
        await charging.invoicing.reserve_charge(facts.organization_id, facts.invoice_id, facts.id)
    except ApiError as exc:
        log.warning("charge reservation not renewed", extra={"attempt_id": facts.id, "code": exc.code})


def recovery_worker(charging: Charging, interval_s: float):
    async def finish_stuck_payment_attempts() -> None:
        while True:
            await finish_stuck_attempts(charging)
            await asyncio.sleep(interval_s)
    return finish_stuck_payment_attempts


# -- reads (HTTP) --------------------------------------------------------------------

async def invoice_known_to(charging: Charging, session: AsyncSession, organization_id: str, invoice_id: str) -> None:
    """404 unless the invoice belongs to the organization (asks invoicing when we never heard of it)."""
    if await repo.get_invoice(session, organization_id, invoice_id) is None:
        if await charging.invoicing.fetch_invoice(organization_id, invoice_id) is None:
            raise not_found("invoice", invoice_id)


async def list_attempts(charging: Charging, session: AsyncSession, organization_id: str,
                        invoice_id: str) -> list[PaymentAttempt]:
    """The invoice's attempts, oldest first; 404 unless the invoice is the organization's."""
    await invoice_known_to(charging, session, organization_id, invoice_id)
    return await repo.list_attempts(session, organization_id, invoice_id)


async def list_payments(session: AsyncSession, organization_id: str, *, invoice_id: str | None, limit: int,
                        starting_after: str | None, customer_id: str | None = None) -> Page[Payment]:
    return await repo.list_payments(session, organization_id, invoice_id=invoice_id, limit=limit,
                                    starting_after=starting_after, customer_id=customer_id)


async def get_payment(session: AsyncSession, organization_id: str, payment_id: str) -> Payment:
    return found(await repo.get_payment(session, organization_id, payment_id), "payment", payment_id)
