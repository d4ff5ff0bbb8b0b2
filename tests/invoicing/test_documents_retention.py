"""Retention of the PDF cache: superseded versions go after their window; each invoice's newest stays."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, select

from duely_invoicing.documents.models import InvoiceDocument

from tests.invoicing.helpers import create_customer, invoice_body


async def test_superseded_pdfs_older_than_the_window_are_purged(svc, org):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        invoices = []
        for _ in range(2):
            draft = (await client.post("/v1/invoices", json=invoice_body(customer["id"]))).json()
            invoices.append((await client.post(f"/v1/invoices/{draft['id']}/approve")).json())
    now = datetime.now(timezone.utc)
    old, recent = now - timedelta(days=91), now - timedelta(days=89)
    rows = [(invoices[0], 1, old), (invoices[0], 2, recent), (invoices[0], 3, old),  # 3 is the newest
            (invoices[1], 1, old)]                                                   # alone: the newest
    async with svc.runtime.db.transaction() as session:
        for invoice, version, rendered_at in rows:
            await session.execute(insert(InvoiceDocument).values(
                invoice_id=invoice["id"], organization_id=organization_id, version=version, kind="pdf",
                content=b"%PDF", sha256=hashlib.sha256(b"%PDF").hexdigest(), rendered_at=rendered_at))
    deleted = await svc.runtime.retention.purge_once()
    assert deleted["superseded_documents"] == 1
    async with svc.runtime.db.transaction() as session:
        kept = set((await session.execute(select(InvoiceDocument.invoice_id, InvoiceDocument.version).where(
            InvoiceDocument.invoice_id.in_([i["id"] for i in invoices])))).all())
    assert kept == {(invoices[0]["id"], 2), (invoices[0]["id"], 3), (invoices[1]["id"], 1)}
