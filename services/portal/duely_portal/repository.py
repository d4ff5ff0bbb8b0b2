"""All of the portal's SQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts.models import InvoiceSnapshot
from duely_runtime.kit.writes import insert_ignore, upsert_newer
from duely_portal.models import (
    DebitInProgress, InvoiceReadModel, InvoiceView, PaymentHistoryEntry, RefundHistoryEntry,
)


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


async def add_refund(session: AsyncSession, **values) -> bool:
    """One row per (organization, refund id): a repeated payment.refunded writes nothing."""
    return await insert_ignore(session, RefundHistoryEntry.__table__, values)


async def refund_history(session: AsyncSession, organization_id: str, invoice_id: str) -> list[RefundHistoryEntry]:
    rows = await session.scalars(select(RefundHistoryEntry).where(
        RefundHistoryEntry.invoice_id == invoice_id, RefundHistoryEntry.organization_id == organization_id,
    ).order_by(RefundHistoryEntry.refunded_at, RefundHistoryEntry.refund_id))
    return list(rows)


async def record_first_view(session: AsyncSession, organization_id: str, invoice_id: str, now: datetime) -> bool:
    """True only for the very first view of this invoice (the UNIQUE invoice_id decides races)."""
    return await insert_ignore(session, InvoiceView.__table__, {
        "invoice_id": invoice_id, "organization_id": organization_id, "first_viewed_at": now})


async def add_debit(session: AsyncSession, **values) -> bool:
    return await insert_ignore(session, DebitInProgress.__table__, values)


async def settle_debits(session: AsyncSession, organization_id: str, invoice_id: str, outcome: str, at: datetime,
                        attempt_id: str | None = None) -> int:
    """Settle the invoice's unsettled debits started at or before `at` (or the one attempt named)."""
    table = DebitInProgress.__table__
    condition = (table.c.invoice_id == invoice_id) & (table.c.organization_id == organization_id) \
        & table.c.settled_at.is_(None)
    condition &= (table.c.attempt_id == attempt_id) if attempt_id else (table.c.started_at <= at)
    result = await session.execute(update(table).where(condition).values(settled_at=at, outcome=outcome))
    return result.rowcount or 0


async def open_debits(session: AsyncSession, organization_id: str, invoice_id: str) -> list[DebitInProgress]:
    rows = await session.scalars(select(DebitInProgress).where(
        DebitInProgress.invoice_id == invoice_id, DebitInProgress.organization_id == organization_id,
        DebitInProgress.settled_at.is_(None)).order_by(DebitInProgress.started_at))
    return list(rows)


async def outcome_since(session: AsyncSession, organization_id: str, invoice_id: str, since: datetime) -> str | None:
    """A debit outcome recorded at or after `since` (it arrived before the debit's own processing event)."""
    row = await session.scalar(select(PaymentHistoryEntry).where(
        PaymentHistoryEntry.invoice_id == invoice_id, PaymentHistoryEntry.organization_id == organization_id,
        PaymentHistoryEntry.method_type.in_(("sepa_debit", "us_bank_account", "ach_debit")),
        PaymentHistoryEntry.occurred_at >= since).order_by(PaymentHistoryEntry.occurred_at).limit(1))
    return row.outcome if row else None


async def latest_customer_invoice(session: AsyncSession, organization_id: str,
                                  customer_id: str) -> InvoiceReadModel | None:
    """The customer's newest invoice we know of: the card update page is branded like it."""
    return await session.scalar(select(InvoiceReadModel).where(
        InvoiceReadModel.organization_id == organization_id, InvoiceReadModel.customer_id == customer_id,
    ).order_by(InvoiceReadModel.updated_at.desc()).limit(1))
