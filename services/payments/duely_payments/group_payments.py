"""Paying several invoices of one customer with one charge (the portal's "pay selected", and the API's
`POST /v1/customers/{id}/payments`).

The safety of a single invoice's charge carries over share by share:

1. every invoice is held by invoicing for its own attempt (a reservation), so none can be voided, written off
   or charged by AutoPay or a dunning retry meanwhile; one refusal releases the holds already taken and
   answers which invoice (`invoice_ids[i]`) could not be paid;
2. the group and one attempt per invoice (its share, oldest first) are committed before the gateway call; the
   one-processing-attempt index keeps any other charge off each invoice;
3. the gateway is called once, with the group's own idempotency key: finishing the group again after a crash
   (the recovery worker, via `finish_group`) replays that one PaymentIntent, never a second charge;
4. the outcome is recorded on every share in one transaction: each invoice gets its own payment and
   `payment.succeeded` (so its own receipt), or its own `invoice.payment_failed` (only the first, the oldest
   due, asks for a failure email: one decline is one message, however many invoices it was for).

Cards only (a saved card or one typed now): a bank debit settles for days and is pre-notified per invoice.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from duely_payments import repository as repo
from duely_payments.domain.allocation import OpenInvoice, allocate, oldest_first
from duely_payments.domain.charging import (
    PROCESSING, SUCCEEDED, AttemptFacts, ChargePending, recovery_delay,
)
from duely_payments.models import Invoice, PaymentAttempt, PaymentGroup
from duely_payments.payment_methods import repository as methods_repo
from duely_payments.payment_methods.service import ACTIVE, status_of
from duely_payments.service import (
    RESERVATION_RENEWAL, Charging, SavedMethodCharge, accepted_methods_of, begin_attempt, end_reservation_after,
    facts_of, keep_reservation, record_outcome, refuse_from_what_we_know,
)
from duely_runtime.errors import ApiError, conflict, invalid, not_found
from duely_runtime.kit.clock import utcnow
from duely_runtime.kit.ids import new_id

log = logging.getLogger(__name__)

MAX_INVOICES = 50


@dataclass(frozen=True)
class GroupOutcome:
    group: PaymentGroup
    attempts: list[PaymentAttempt]


@dataclass(frozen=True)
class _Method:
    payment_method: str
    saved: SavedMethodCharge | None  # None: a card typed now (a one-off PaymentMethod or a test id)


async def pay_invoices(charging: Charging, *, organization_id: str, customer_id: str, invoice_ids: list[str],
                       payment_method: str | None, amount: int | None) -> GroupOutcome:
    """Charge the customer once for the invoices' amounts due (or `amount`, shared oldest first)."""
    ids = _checked_ids(invoice_ids)
    method = await _method_to_charge(charging, organization_id, customer_id, payment_method)
    for index, invoice_id in enumerate(ids):  # what we already know refuses early, holding nothing
        with _naming(index):
            await refuse_from_what_we_know(charging, organization_id, invoice_id)
    attempt_ids = {invoice_id: new_id("payatt") for invoice_id in ids}
    held: list[str] = []
    try:
        snapshots = []
        # Held in one global order (by id): two payers asking for overlapping invoices in different orders
        # cannot each hold one and refuse the other; whoever holds the first shared invoice gets them all.
        for index, invoice_id in sorted(enumerate(ids), key=lambda pair: pair[1]):
            with _naming(index):
                reservation = await charging.invoicing.reserve_charge(organization_id, invoice_id,
                                                                      attempt_ids[invoice_id])
            held.append(invoice_id)
            snapshot = reservation.invoice
            if snapshot.customer.id != customer_id:  # another customer's invoice is not theirs to see
                raise not_found("invoice", invoice_id, param=f"invoice_ids[{index}]")
            if "card" not in accepted_methods_of(snapshot):
                raise invalid(f"invoice_ids[{index}]", f"Invoice {snapshot.number or invoice_id} does not accept "
                                                       "card payments.", code="payment_method_not_accepted")
            if snapshots and snapshot.currency.lower() != snapshots[0].currency.lower():
                raise invalid(f"invoice_ids[{index}]", "All invoices paid together must be in one currency; "
                                                       f"{snapshots[0].currency.upper()} and "
                                                       f"{snapshot.currency.upper()} were given.",
                              code="currency_mismatch")
            snapshots.append(snapshot)
        total_due = sum(s.amount_due for s in snapshots)
        if amount is not None and not 0 < amount <= total_due:
            raise invalid("amount", f"amount must be between 1 and the invoices' total due ({total_due}).")
        shares = allocate(total_due if amount is None else amount,
                          [OpenInvoice(s.id, s.number, s.due_date, s.amount_due) for s in snapshots])
        by_id = {s.id: s for s in snapshots}
        now = utcnow()
        async with charging.db.transaction() as session:  # the group and its shares exist before the charge
            group = PaymentGroup(id=new_id("pgrp"), organization_id=organization_id, customer_id=customer_id,
                                 status=PROCESSING, amount=sum(share for _, share in shares),
                                 currency=snapshots[0].currency, payment_method=method.payment_method,
                                 gateway_customer=method.saved.gateway_customer if method.saved else None,
                                 created_at=now)
            session.add(group)
            attempts = []
            for invoice, share in shares:
                attempts.append(await begin_attempt(
                    session, attempt_id=attempt_ids[invoice.id], organization_id=organization_id,
                    invoice_id=invoice.id, payment_method=method.payment_method, snapshot=by_id[invoice.id],
                    now=now, check_after=charging.stale_attempt_after, saved=method.saved, share=share,
                    group_id=group.id))
    except BaseException as exc:  # no charge follows: free every invoice held so far
        for invoice_id in held:
            with contextlib.suppress(Exception):
                await charging.invoicing.release_charge(organization_id, invoice_id, attempt_ids[invoice_id])
        if isinstance(exc, IntegrityError):  # another charge started on one of them meanwhile
            raise conflict("payment_in_progress", "A payment for one of these invoices is already being "
                                                  "processed.", param="invoice_ids") from None
        raise
    shared = {attempt.invoice_id for attempt in attempts}
    for invoice_id in (i for i in held if i not in shared):  # a partial amount ran out before these
        await charging.invoicing.release_charge(organization_id, invoice_id, attempt_ids[invoice_id])
    return await finish_group(charging, group.id)


async def finish_group(charging: Charging, group_id: str, *, recovering: bool = False) -> GroupOutcome:
    """Make (or replay) the group's one charge and record its outcome on every share. Safe to repeat, also
    concurrently: the gateway key is the group's, so a second call replays (or is refused, and retries later).
    `recovering`: the recovery worker calls; it renews the invoices' holds first and postpones on no answer."""
    async with charging.db.transaction() as session:
        group, attempts = await _load(session, group_id)
    if group.status != PROCESSING:
        return GroupOutcome(group, attempts)
    if recovering:
        for attempt in attempts:
            await keep_reservation(charging, facts_of(attempt))
    try:
        result = await charging.card_gateway.charge(_facts(group))
    except ChargePending:
        log.warning("group charge left processing; the recovery worker will finish it", extra={"group_id": group_id})
        if recovering:
            async with charging.db.transaction() as session:
                for attempt in attempts:
                    delay = recovery_delay(attempt.gateway_checks, base_s=charging.stale_attempt_after.total_seconds(),
                                           cap_s=RESERVATION_RENEWAL.total_seconds())
                    await repo.postpone_check(session, attempt.id, utcnow() + delay)
        return GroupOutcome(group, attempts)
    now = utcnow()
    async with charging.db.transaction() as session:
        group = await session.get(PaymentGroup, group_id, with_for_update=True)
        if group.status == PROCESSING:
            for position, attempt in enumerate(await _shares(session, group_id)):
                await record_outcome(session, charging.outbox, attempt.id, result, now, first_of_group=position == 0)
            group.status, group.gateway_reference, group.completed_at = result.status, result.gateway_reference, now
            group.failure_code, group.failure_reason = result.failure_code, result.failure_reason
            await session.flush()
        group, attempts = await _load(session, group_id)
    for attempt in attempts:
        await end_reservation_after(charging, attempt)
    if group.status == SUCCEEDED:
        log.info("paid several invoices with one charge", extra={"group_id": group_id, "invoices": len(attempts)})
    return GroupOutcome(group, attempts)


def _facts(group: PaymentGroup) -> AttemptFacts:
    """The gateway request: the group's amount and method, keyed by the group (gateway key `<group>:attempt:1`),
    built only from stored rows so a replay repeats it byte for byte."""
    return AttemptFacts(id=group.id, organization_id=group.organization_id, invoice_id=group.id, attempt_number=1,
                        amount=group.amount, currency=group.currency, payment_method=group.payment_method,
                        method_type="card", gateway_customer=group.gateway_customer)


async def _load(session, group_id: str) -> tuple[PaymentGroup, list[PaymentAttempt]]:
    group = await session.get(PaymentGroup, group_id)
    return group, await _shares(session, group_id)


async def _shares(session, group_id: str) -> list[PaymentAttempt]:
    """The group's attempts in the order its amount filled them (oldest first)."""
    rows = list(await session.execute(select(PaymentAttempt, Invoice)
                                      .join(Invoice, Invoice.id == PaymentAttempt.invoice_id)
                                      .where(PaymentAttempt.group_id == group_id)))
    attempts = {attempt.invoice_id: attempt for attempt, _ in rows}
    order = oldest_first([OpenInvoice(i.id, i.number, i.due_date, i.amount_due) for _, i in rows])
    return [attempts[invoice.id] for invoice in order]


async def get_group(charging: Charging, organization_id: str, customer_id: str, group_id: str) -> GroupOutcome:
    async with charging.db.transaction() as session:
        group = await session.get(PaymentGroup, group_id)
        if group is None or group.organization_id != organization_id or group.customer_id != customer_id:
            raise not_found("payment_group", group_id)
        return GroupOutcome(group, await _shares(session, group_id))


async def _method_to_charge(charging: Charging, organization_id: str, customer_id: str,
                            payment_method: str | None) -> _Method:
    """The customer's default saved card (none given), one of their saved cards, or a card typed now."""
    chosen = (payment_method or "").strip()
    async with charging.db.transaction() as session:
        if not chosen:
            saved = await methods_repo.default_method(session, organization_id, customer_id)
            if saved is None:
                raise invalid("payment_method", "The customer has no default payment method; give one "
                                                "(payment_method).", code="payment_method_missing")
        else:
            saved = await methods_repo.get_method(session, organization_id, chosen)
            if saved is not None and saved.customer_id != customer_id:
                raise not_found("payment_method", chosen, param="payment_method")
    if saved is None:
        if not chosen.startswith("pm_") or len(chosen) > 255:
            raise invalid("payment_method", f"'{chosen}' is not a payment method (pm_…).",
                          code="payment_method_invalid")
        return _Method(chosen, None)
    if saved.type != "card":
        raise invalid("payment_method", "Several invoices are paid together by card only; a bank debit pays one "
                                        "invoice at a time.", code="payment_method_not_supported")
    if status_of(saved) != ACTIVE:
        raise invalid("payment_method", f"The card ending {saved.last4} is {status_of(saved)}.",
                      code="payment_method_not_active")
    return _Method(saved.id, SavedMethodCharge("card", saved.gateway_customer, None, autopay=False,
                                               card_brand=saved.brand, card_last4=saved.last4))


def _checked_ids(invoice_ids: list[str]) -> list[str]:
    ids = [i.strip() for i in invoice_ids]
    if not ids:
        raise invalid("invoice_ids", "Name at least one invoice to pay.", code="parameter_missing")
    if len(ids) > MAX_INVOICES:
        raise invalid("invoice_ids", f"At most {MAX_INVOICES} invoices can be paid together.")
    for index, invoice_id in enumerate(ids):
        if not invoice_id or len(invoice_id) > 64:
            raise invalid(f"invoice_ids[{index}]", "An invoice id is 1 to 64 characters.")
        if invoice_id in ids[:index]:
            raise invalid(f"invoice_ids[{index}]", f"Invoice {invoice_id} is named twice.")
    return ids


@contextlib.contextmanager
def _naming(index: int):
    """An invoice's refusal (404, 409) names which of the invoice_ids it was."""
    try:
        yield
    except ApiError as exc:
        if exc.status in (404, 409) and exc.param in (None, "id"):
            exc.param = f"invoice_ids[{index}]"
        raise

