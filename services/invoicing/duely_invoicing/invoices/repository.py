"""SQL for invoices, their numbers and the payments applied to them; scoped by organization id."""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from duely_invoicing.domain import status
from duely_invoicing.invoices.listing import InvoiceFilters
from duely_invoicing.models import Invoice, InvoicePayment, InvoicePaymentRefund, LateFeeInvoice, NumberSequence
from duely_runtime.kit.pagination import Page, keyset_page, start_position
from duely_runtime.kit.writes import insert_ignore, locked


async def get_invoice(session: AsyncSession, organization_id: str, invoice_id: str, *,
                      for_update: bool = False) -> Invoice | None:
    stmt = select(Invoice).where(Invoice.organization_id == organization_id, Invoice.id == invoice_id)
    if for_update:  # re-read under the lock, whatever the session cached
        stmt = locked(stmt, session).execution_options(populate_existing=True)
    return (await session.scalars(stmt)).first()


async def invoice_to_show(session: AsyncSession, organization_id: str, invoice_id: str) -> Invoice | None:
    """The invoice with what its API body shows, in three statements instead of four: the customer (one
    row) comes in the invoice's own row; lines and payments stay separate loads (joined, each would
    repeat the invoice's row, JSON columns and all, once per line)."""
    return (await session.scalars(
        select(Invoice).where(Invoice.organization_id == organization_id, Invoice.id == invoice_id)
        .options(joinedload(Invoice.customer)))).first()


async def take_next_number(session: AsyncSession, organization_id: str, series: str) -> int:
    """The next counter of a series, taken under a row lock held until the approval commits.

    A rolled-back approval gives its number back with the rollback, so numbers stay gapless.
    """
    await insert_ignore(session, NumberSequence.__table__,
                        {"organization_id": organization_id, "series": series, "next_value": 1})
    row = (await session.scalars(locked(select(NumberSequence).where(
        NumberSequence.organization_id == organization_id, NumberSequence.series == series), session)
        .execution_options(populate_existing=True))).one()
    value = row.next_value
    row.next_value = value + 1
    return value


async def invoice_with_number(session: AsyncSession, organization_id: str, number: str) -> str | None:
    """The id of the invoice that already carries `number`, if any."""
    return await session.scalar(select(Invoice.id).where(Invoice.organization_id == organization_id,
                                                         Invoice.number == number))


async def record_payment(session: AsyncSession, values: dict) -> bool:
    """True when this payment id is new; False when it was already applied."""
    return await insert_ignore(session, InvoicePayment.__table__, values)


async def get_invoice_payment(session: AsyncSession, organization_id: str, payment_id: str) -> InvoicePayment | None:
    stmt = select(InvoicePayment).where(InvoicePayment.organization_id == organization_id,
                                        InvoicePayment.payment_id == payment_id)
    return (await session.scalars(locked(stmt, session))).first()


async def get_payment_refund(session: AsyncSession, refund_id: str) -> InvoicePaymentRefund | None:
    return await session.get(InvoicePaymentRefund, refund_id)


async def record_payment_refund(session: AsyncSession, values: dict) -> None:
    session.add(InvoicePaymentRefund(**values))
    await session.flush()


async def list_invoices(session: AsyncSession, organization_id: str, filters: InvoiceFilters, *, limit: int,
                        cursor: str | None, starting_after: str | None) -> Page:
    after = await start_position(session, Invoice, Invoice.organization_id == organization_id,
                                 cursor=cursor, starting_after=starting_after)
    return await keyset_page(session, invoice_query(organization_id, filters), Invoice, limit=limit, after=after)


async def customer_drafts(session: AsyncSession, organization_id: str, customer_id: str, *,
                          limit: int = 100) -> list[Invoice]:
    """The customer's drafts, newest first (the customer portal shows them when the organization allows)."""
    return list(await session.scalars(select(Invoice).where(
        Invoice.organization_id == organization_id, Invoice.customer_id == customer_id, Invoice.status == status.DRAFT)
        .order_by(Invoice.created_at.desc(), Invoice.id.desc()).limit(limit)))


def invoice_query(organization_id: str, filters: InvoiceFilters) -> Select:
    stmt = select(Invoice).where(Invoice.organization_id == organization_id)
    if filters.customer_id is not None:
        stmt = stmt.where(Invoice.customer_id == filters.customer_id)
    if filters.status is not None:
        stmt = stmt.where(Invoice.status == filters.status)
    if filters.created_gte is not None:
        stmt = stmt.where(Invoice.created_at >= filters.created_gte)
    if filters.created_lte is not None:
        stmt = stmt.where(Invoice.created_at <= filters.created_lte)
    if filters.due_date_gte is not None:
        stmt = stmt.where(Invoice.due_date >= filters.due_date_gte)
    if filters.due_date_lte is not None:
        stmt = stmt.where(Invoice.due_date <= filters.due_date_lte)
    return stmt


# --- collections (issue #10) ----------------------------------------------------------------------------------

async def invoice_states(session: AsyncSession, invoice_ids: list[str]) -> list[dict]:
    """Status and balance of each invoice that exists, in one query (dunning reads them at fire time). Not scoped
    by organization: the caller is Duely's own dunning, and each row names its organization."""
    rows = await session.execute(select(
        Invoice.id, Invoice.organization_id, Invoice.status, Invoice.amount_due, Invoice.version,
        Invoice.subscription_id, Invoice.customer_id).where(Invoice.id.in_(set(invoice_ids))))
    return [dict(row._mapping) for row in rows]


async def late_fee_of(session: AsyncSession, invoice_id: str, period: int) -> LateFeeInvoice | None:
    return await session.get(LateFeeInvoice, (invoice_id, period))


async def late_fees_charged(session: AsyncSession, invoice_id: str) -> int:
    """What the late fees of an overdue invoice add up to so far (a fee invoice voided since does not count)."""
    total = await session.scalar(
        select(func.coalesce(func.sum(LateFeeInvoice.amount), 0))
        .join(Invoice, Invoice.id == LateFeeInvoice.fee_invoice_id)
        .where(LateFeeInvoice.invoice_id == invoice_id, Invoice.status != "void"))
    return int(total or 0)


async def record_late_fee(session: AsyncSession, values: dict) -> bool:
    """True when this (overdue invoice, period) had no fee yet; False when another delivery already charged it."""
    return await insert_ignore(session, LateFeeInvoice.__table__, values)
