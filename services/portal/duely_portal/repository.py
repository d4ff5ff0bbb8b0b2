"""All of the portal's SQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts.models import InvoiceSnapshot
from duely_runtime.kit.writes import insert_ignore, upsert_newer
from duely_portal.models import InvoiceReadModel, InvoiceView, PaymentHistoryEntry


async def upsert_invoice(session: AsyncSession, snapshot: InvoiceSnapshot, version: int, now: datetime) -> bool:
    """Store the snapshot unless a newer (or the same) version is already there; True when stored."""
    values = dict(
        id=snapshot.id, organization_id=snapshot.organization_id, customer_id=snapshot.customer.id,
        number=snapshot.number, status=snapshot.status, currency=snapshot.currency, total=snapshot.total,
        amount_due=snapshot.amount_due, due_date=snapshot.due_date, version=version,
        snapshot=snapshot.model_dump_json(), updated_at=now,
    )
    return await upsert_newer(session, InvoiceReadModel.__table__, values)


async def get_invoice(session: AsyncSession, organization_id: str, invoice_id: str) -> InvoiceReadModel | None:
    return await session.scalar(select(InvoiceReadModel).where(
        InvoiceReadModel.id == invoice_id, InvoiceReadModel.organization_id == organization_id))


async def add_payment(session: AsyncSession, **values) -> bool:
    return await insert_ignore(session, PaymentHistoryEntry.__table__, values)


async def payment_history(session: AsyncSession, organization_id: str, invoice_id: str) -> list[PaymentHistoryEntry]:
    rows = await session.scalars(select(PaymentHistoryEntry).where(
        PaymentHistoryEntry.invoice_id == invoice_id, PaymentHistoryEntry.organization_id == organization_id,
    ).order_by(PaymentHistoryEntry.occurred_at, PaymentHistoryEntry.id))
    return list(rows)


async def record_first_view(session: AsyncSession, organization_id: str, invoice_id: str, now: datetime) -> bool:
    """True only for the very first view of this invoice (the UNIQUE invoice_id decides races)."""
    return await insert_ignore(session, InvoiceView.__table__, {
        "invoice_id": invoice_id, "organization_id": organization_id, "first_viewed_at": now})
