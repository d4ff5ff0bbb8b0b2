"""All SQL of the document cache."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from duely_runtime.kit.writes import insert_ignore
from duely_runtime.retention import RetentionRule
from duely_invoicing.documents.models import InvoiceDocument


async def get_document(session: AsyncSession, invoice_id: str, version: int, kind: str) -> InvoiceDocument | None:
    return (await session.scalars(select(InvoiceDocument).where(
        InvoiceDocument.invoice_id == invoice_id, InvoiceDocument.version == version,
        InvoiceDocument.kind == kind))).first()


async def store_document(session: AsyncSession, values: dict) -> bool:
    """True when this render was stored; False when another request stored the same version first."""
    return await insert_ignore(session, InvoiceDocument.__table__, values)


def superseded_documents_rule(window: timedelta) -> RetentionRule:
    """Rendered PDFs of versions a newer rendering replaced; the newest of each invoice always stays."""
    table = InvoiceDocument.__table__
    newer = table.alias("newer")

    def superseded():
        return exists().where(newer.c.invoice_id == table.c.invoice_id, newer.c.kind == table.c.kind,
                              newer.c.version > table.c.version)
    return RetentionRule("superseded_documents", table, table.c.rendered_at, window, only=superseded)
