"""All of the customer portal's SQL. Every read of invoices and payments is scoped by organization AND
customer: a session sees one customer of one organization, whatever id it names."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from duely_portal.models import (
    InvoiceReadModel, PaymentHistoryEntry, PortalLinkRequest, PortalSession, RefundHistoryEntry,
)


async def add_session(session: AsyncSession, row: PortalSession) -> None:
    session.add(row)
    await session.flush()


async def session_by_link(session: AsyncSession, link_hash: str) -> PortalSession | None:
    return await session.scalar(select(PortalSession).where(PortalSession.link_hash == link_hash))


async def session_by_cookie(session: AsyncSession, cookie_hash: str) -> PortalSession | None:
    return await session.scalar(select(PortalSession).where(PortalSession.cookie_hash == cookie_hash))


async def get_session(session: AsyncSession, organization_id: str, customer_id: str,
                      session_id: str) -> PortalSession | None:
    return await session.scalar(select(PortalSession).where(
        PortalSession.id == session_id, PortalSession.organization_id == organization_id,
        PortalSession.customer_id == customer_id))


async def redeem(session: AsyncSession, session_id: str, *, cookie_hash: str, csrf_token: str, now: datetime,
                 expires_at: datetime) -> bool:
    """Open the link's session, once: of two browsers opening the same link at once, one wins."""
    table = PortalSession.__table__
    result = await session.execute(update(table).where(
        table.c.id == session_id, table.c.redeemed_at.is_(None), table.c.revoked_at.is_(None),
        table.c.link_expires_at > now,
    ).values(redeemed_at=now, cookie_hash=cookie_hash, csrf_token=csrf_token, last_seen_at=now,
             expires_at=expires_at))
    return result.rowcount == 1


async def touch(session: AsyncSession, session_id: str, now: datetime) -> None:
    table = PortalSession.__table__
    await session.execute(update(table).where(table.c.id == session_id).values(last_seen_at=now))


async def revoke(session: AsyncSession, session_id: str, now: datetime) -> bool:
    table = PortalSession.__table__
    result = await session.execute(update(table).where(table.c.id == session_id, table.c.revoked_at.is_(None))
                                   .values(revoked_at=now))
    return result.rowcount == 1


async def link_requests_since(session: AsyncSession, organization_id: str, customer_id: str,
                              ip_address: str, since: datetime) -> tuple[int, int]:
    """(this customer's, this address's) requests for a new link since `since`."""
    table = PortalLinkRequest.__table__
    by_customer = await session.scalar(select(func.count()).select_from(table).where(
        table.c.organization_id == organization_id, table.c.customer_id == customer_id,
        table.c.requested_at >= since))
    by_address = await session.scalar(select(func.count()).select_from(table).where(
        table.c.ip_address == ip_address, table.c.requested_at >= since))
    return int(by_customer or 0), int(by_address or 0)


async def add_link_request(session: AsyncSession, **values) -> None:
    await session.execute(PortalLinkRequest.__table__.insert().values(**values))


async def customer_invoices(session: AsyncSession, organization_id: str, customer_id: str) -> list[InvoiceReadModel]:
    rows = await session.scalars(select(InvoiceReadModel).where(
        InvoiceReadModel.organization_id == organization_id, InvoiceReadModel.customer_id == customer_id))
    return list(rows)


async def customer_invoice(session: AsyncSession, organization_id: str, customer_id: str,
                           invoice_id: str) -> InvoiceReadModel | None:
    return await session.scalar(select(InvoiceReadModel).where(
        InvoiceReadModel.id == invoice_id, InvoiceReadModel.organization_id == organization_id,
        InvoiceReadModel.customer_id == customer_id))


async def customer_payments(session: AsyncSession, organization_id: str,
                            customer_id: str) -> list[tuple[PaymentHistoryEntry, str | None]]:
    """The customer's payment attempts with their invoice's number, newest first."""
    rows = await session.execute(select(PaymentHistoryEntry, InvoiceReadModel.number).join(
        InvoiceReadModel, (InvoiceReadModel.id == PaymentHistoryEntry.invoice_id)
        & (InvoiceReadModel.organization_id == PaymentHistoryEntry.organization_id),
    ).where(PaymentHistoryEntry.organization_id == organization_id, InvoiceReadModel.customer_id == customer_id)
        .order_by(PaymentHistoryEntry.occurred_at.desc(), PaymentHistoryEntry.id.desc()))
    return [(row[0], row[1]) for row in rows]


async def customer_refunds(session: AsyncSession, organization_id: str,
                           customer_id: str) -> list[tuple[RefundHistoryEntry, str | None]]:
    rows = await session.execute(select(RefundHistoryEntry, InvoiceReadModel.number).join(
        InvoiceReadModel, (InvoiceReadModel.id == RefundHistoryEntry.invoice_id)
        & (InvoiceReadModel.organization_id == RefundHistoryEntry.organization_id),
    ).where(RefundHistoryEntry.organization_id == organization_id, InvoiceReadModel.customer_id == customer_id)
        .order_by(RefundHistoryEntry.refunded_at.desc()))
    return [(row[0], row[1]) for row in rows]


async def customer_payment(session: AsyncSession, organization_id: str, customer_id: str,
                           payment_id: str) -> tuple[PaymentHistoryEntry, InvoiceReadModel] | None:
    """A succeeded payment of one of the customer's invoices, with its invoice."""
    row = (await session.execute(select(PaymentHistoryEntry, InvoiceReadModel).join(
        InvoiceReadModel, (InvoiceReadModel.id == PaymentHistoryEntry.invoice_id)
        & (InvoiceReadModel.organization_id == PaymentHistoryEntry.organization_id),
    ).where(PaymentHistoryEntry.organization_id == organization_id, PaymentHistoryEntry.payment_id == payment_id,
            PaymentHistoryEntry.outcome == "succeeded", InvoiceReadModel.customer_id == customer_id))).first()
    return (row[0], row[1]) if row else None


async def invoice_payments(session: AsyncSession, organization_id: str, invoice_id: str) -> list[PaymentHistoryEntry]:
    rows = await session.scalars(select(PaymentHistoryEntry).where(
        PaymentHistoryEntry.organization_id == organization_id, PaymentHistoryEntry.invoice_id == invoice_id,
        PaymentHistoryEntry.outcome == "succeeded").order_by(PaymentHistoryEntry.occurred_at, PaymentHistoryEntry.id))
    return list(rows)
