"""All of payments' SQL."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts.models import InvoiceSnapshot
from duely_payments.domain.charging import INVALID, PROCESSING
from duely_payments.domain.refunding import PENDING as REFUND_PENDING
from duely_payments.models import Invoice, Payment, PaymentAttempt, Refund
from duely_runtime.errors import not_found
from duely_runtime.kit.pagination import Page, keyset_page, start_position
from duely_runtime.kit.writes import insert_ignore, upsert_newer


# -- invoices read model ----------------------------------------------------------

async def apply_invoice_snapshot(session: AsyncSession, snapshot: InvoiceSnapshot, version: int,
                                 now: datetime) -> None:
    """Insert or update the invoice, unless what we hold is already as new or newer."""
    values = {
        "id": snapshot.id,
        "organization_id": snapshot.organization_id,
        "number": snapshot.number,
        "organization_name": snapshot.organization_name,
        "currency": snapshot.currency.lower(),
        "total": snapshot.total,
        "amount_due": snapshot.amount_due,
        "due_date": snapshot.due_date,
        "customer": snapshot.customer.model_dump(mode="json"),
        "hosted_invoice_url": snapshot.hosted_invoice_url,
        "status": snapshot.status,
        "version": version,
        "updated_at": now,
    }
    await upsert_newer(session, Invoice.__table__, values, keep=("organization_id",))


async def get_invoice(session: AsyncSession, organization_id: str, invoice_id: str, *,
                      for_update: bool = False) -> Invoice | None:
    query = select(Invoice).where(Invoice.id == invoice_id, Invoice.organization_id == organization_id)
    if for_update:
        query = query.with_for_update()  # serializes two charges of one invoice (SQLite: BEGIN IMMEDIATE)
    return (await session.execute(query)).scalar_one_or_none()


async def next_payment_event_version(session: AsyncSession, invoice_id: str) -> int:
    """Count one more payments event about this invoice; the row lock orders concurrent writers."""
    result = await session.execute(update(Invoice).where(Invoice.id == invoice_id)
                                   .values(payment_events=Invoice.payment_events + 1)
                                   .returning(Invoice.payment_events))
    return result.scalar_one()


async def get_invoice_by_id(session: AsyncSession, invoice_id: str) -> Invoice | None:
    return await session.get(Invoice, invoice_id)


# -- payment attempts -------------------------------------------------------------

async def last_attempt_number(session: AsyncSession, invoice_id: str) -> int:
    """The highest number taken in the invoice's one sequence of attempts and manual payments (a manual
    payment has no attempt but takes a number: the payment events' consumers key on it)."""
    attempts = select(func.coalesce(func.max(PaymentAttempt.attempt_number), 0)).where(
        PaymentAttempt.invoice_id == invoice_id)
    payments = select(func.coalesce(func.max(Payment.attempt_number), 0)).where(Payment.invoice_id == invoice_id)
    return max((await session.execute(attempts)).scalar_one(), (await session.execute(payments)).scalar_one())


async def attempt_with_status(session: AsyncSession, invoice_id: str, status: str) -> PaymentAttempt | None:
    query = (select(PaymentAttempt)
             .where(PaymentAttempt.invoice_id == invoice_id, PaymentAttempt.status == status)
             .order_by(PaymentAttempt.attempt_number.desc()).limit(1))
    return (await session.execute(query)).scalar_one_or_none()


async def add_attempt(session: AsyncSession, attempt: PaymentAttempt) -> None:
    session.add(attempt)
    await session.flush()


async def get_attempt(session: AsyncSession, attempt_id: str, *, for_update: bool = False) -> PaymentAttempt | None:
    query = select(PaymentAttempt).where(PaymentAttempt.id == attempt_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def list_attempts(session: AsyncSession, organization_id: str, invoice_id: str) -> list[PaymentAttempt]:
    """The invoice's payment attempts; requests the gateway refused as invalid were never payments."""
    query = (select(PaymentAttempt)
             .where(PaymentAttempt.organization_id == organization_id, PaymentAttempt.invoice_id == invoice_id,
                    PaymentAttempt.status != INVALID)
             .order_by(PaymentAttempt.attempt_number))
    return list((await session.execute(query)).scalars())


async def claim_stuck_attempts(session: AsyncSession, now: datetime, lease: timedelta,
                               limit: int = 20) -> list[PaymentAttempt]:
    """Processing attempts whose check is due, leased for `lease` so no other worker takes them."""
    query = (select(PaymentAttempt)
             .where(PaymentAttempt.status == PROCESSING, PaymentAttempt.next_check_at <= now)
             .order_by(PaymentAttempt.next_check_at).limit(limit)
             .with_for_update(skip_locked=True))
    attempts = list((await session.execute(query)).scalars())
    for attempt in attempts:
        attempt.next_check_at = now + lease
        attempt.gateway_checks += 1
    await session.flush()
    return attempts


async def postpone_check(session: AsyncSession, attempt_id: str, when: datetime) -> None:
    await session.execute(update(PaymentAttempt)
                          .where(PaymentAttempt.id == attempt_id, PaymentAttempt.status == PROCESSING)
                          .values(next_check_at=when))


# -- payments ---------------------------------------------------------------------

async def add_payment(session: AsyncSession, payment: Payment) -> None:
    session.add(payment)
    await session.flush()


async def fully_collected(session: AsyncSession, invoice_id: str, total: int) -> bool:
    """Whether the payments we took for the invoice, less what went back, cover its total. Our invoice read
    model may not show a payment counted yet; a refund reopens the balance, so a succeeded charge alone
    does not make an invoice paid for good."""
    paid = await session.scalar(select(func.coalesce(func.sum(Payment.amount), 0))
                                .where(Payment.invoice_id == invoice_id))
    refunded = await session.scalar(select(func.coalesce(func.sum(Refund.amount), 0))
                                    .where(Refund.invoice_id == invoice_id, Refund.status == "succeeded"))
    return total > 0 and int(paid) - int(refunded) >= total


async def get_payment(session: AsyncSession, organization_id: str, payment_id: str) -> Payment | None:
    query = select(Payment).where(Payment.id == payment_id, Payment.organization_id == organization_id)
    return (await session.execute(query)).scalar_one_or_none()


async def list_payments(session: AsyncSession, organization_id: str, *, invoice_id: str | None, limit: int,
                        starting_after: str | None, customer_id: str | None = None) -> Page[Payment]:
    """Newest first, keyset-paginated on (created_at, id); 404 when `starting_after` is no payment of ours.
    A customer's payments are those of its invoices (the invoices read model knows each one's customer)."""
    scope = Payment.organization_id == organization_id
    after = await start_position(session, Payment, scope, starting_after=starting_after,
                                 missing=not_found("payment", starting_after or "", param="starting_after"))
    query = select(Payment).where(scope)
    if invoice_id:
        query = query.where(Payment.invoice_id == invoice_id)
    if customer_id:
        of_customer = select(Invoice.id).where(Invoice.organization_id == organization_id,
                                               Invoice.customer["id"].as_string() == customer_id)
        query = query.where(Payment.invoice_id.in_(of_customer))
    return await keyset_page(session, query, Payment, limit=limit, after=after)


# -- refunds ----------------------------------------------------------------------

async def add_refund_once(session: AsyncSession, refund: Refund) -> bool:
    """Insert unless a refund with the same gateway key exists; True when this one was written."""
    values = {c.key: getattr(refund, c.key) for c in Refund.__table__.columns}
    for column in Refund.__table__.columns:  # an unset attribute takes the column's default, as an ORM insert would
        if values[column.key] is None and column.default is not None and column.default.is_scalar:
            values[column.key] = column.default.arg
    return await insert_ignore(session, Refund.__table__, values)


async def get_refund(session: AsyncSession, refund_id: str, *, for_update: bool = False) -> Refund | None:
    query = select(Refund).where(Refund.id == refund_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def claim_due_refunds(session: AsyncSession, now: datetime, lease: timedelta,
                            limit: int = 20) -> list[tuple[Refund, str | None]]:
    """Pending refunds whose gateway call is due, with their payment's PaymentIntent, leased for `lease`."""
    query = (select(Refund, Payment.gateway_reference).join(Payment, Payment.id == Refund.payment_id)
             .where(Refund.status == REFUND_PENDING, Refund.next_check_at <= now)
             .order_by(Refund.next_check_at).limit(limit)
             .with_for_update(of=Refund, skip_locked=True))
    rows = list((await session.execute(query)).all())
    for refund, _ in rows:
        refund.next_check_at = now + lease
        refund.gateway_checks += 1
    await session.flush()
    return [(refund, payment_intent) for refund, payment_intent in rows]


async def postpone_refund(session: AsyncSession, refund_id: str, when: datetime,
                          gateway_reference: str | None) -> None:
    values = {"next_check_at": when}
    if gateway_reference:
        values["gateway_reference"] = gateway_reference  # created but pending: ask about this one next time
    await session.execute(update(Refund).where(Refund.id == refund_id, Refund.status == REFUND_PENDING)
                          .values(**values))


async def list_refunds(session: AsyncSession, invoice_id: str) -> list[Refund]:
    query = select(Refund).where(Refund.invoice_id == invoice_id).order_by(Refund.created_at)
    return list((await session.execute(query)).scalars())


# -- refunds of a payment (the refunds API) ------------------------------------------

async def lock_payment(session: AsyncSession, organization_id: str, payment_id: str) -> Payment | None:
    """The payment under its row lock: refunds of one payment are decided one at a time."""
    query = (select(Payment).where(Payment.id == payment_id, Payment.organization_id == organization_id)
             .with_for_update())
    return (await session.execute(query)).scalar_one_or_none()


async def refunds_of_payment(session: AsyncSession, payment_id: str) -> list[Refund]:
    """Oldest first."""
    query = select(Refund).where(Refund.payment_id == payment_id).order_by(Refund.created_at, Refund.id)
    return list((await session.execute(query)).scalars())


async def refunds_of_payments(session: AsyncSession, payment_ids: list[str]) -> dict[str, list[Refund]]:
    """Each payment's refunds, oldest first (one query for a page of payments)."""
    found: dict[str, list[Refund]] = {payment_id: [] for payment_id in payment_ids}
    if payment_ids:
        query = (select(Refund).where(Refund.payment_id.in_(payment_ids))
                 .order_by(Refund.created_at, Refund.id))
        for refund in (await session.execute(query)).scalars():
            found[refund.payment_id].append(refund)
    return found


async def add_refund(session: AsyncSession, refund: Refund) -> None:
    session.add(refund)
    await session.flush()


async def attempt_by_gateway_reference(session: AsyncSession, payment_intent: str | None) -> PaymentAttempt | None:
    """The attempt a gateway PaymentIntent belongs to (a gateway event names only the intent)."""
    if not payment_intent:
        return None
    query = select(PaymentAttempt).where(PaymentAttempt.gateway_reference == payment_intent).limit(1)
    return (await session.execute(query)).scalar_one_or_none()


async def organization_name(session: AsyncSession, organization_id: str) -> str | None:
    """The organization's name as its newest invoice we know of gave it (invoicing owns organizations)."""
    query = (select(Invoice.organization_name).where(Invoice.organization_id == organization_id)
             .order_by(Invoice.updated_at.desc()).limit(1))
    return (await session.execute(query)).scalar_one_or_none()
