"""Invoice documents as use cases: the cached PDF of the current version, and the Factur-X XML.

The PDF is rendered outside any transaction (it is CPU work on the render
thread): read the invoice and look for a cached render in one short
transaction, render, then store it in a second one with insert-ignore. Two
requests racing on the same version may both render, but one row wins and
both answer with the stored bytes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from duely_invoicing.documents import facturx, renderer, repository
from duely_invoicing.invoices import parties_at_approval
from duely_invoicing.invoices import service as invoices
from duely_presentation import content
from duely_runtime.db import Database
from duely_runtime.errors import conflict
from duely_runtime.kit.clock import utcnow

PDF = "pdf"


@dataclass(frozen=True)
class StoredDocument:
    content: bytes
    sha256: str
    version: int
    filename: str
    rendered_at: datetime


def filename(invoice_id: str, number: str | None, extension: str) -> str:
    """'INV-2026-00001.pdf'; drafts have no number yet: 'draft-in_123.pdf'. Safe inside a header."""
    stem = number or f"draft-{invoice_id}"
    return re.sub(r"[^A-Za-z0-9._-]", "_", stem) + f".{extension}"


async def invoice_pdf(db: Database, organization_id: str, invoice_id: str) -> StoredDocument:
    async with db.transaction() as session:
        invoice = await invoices.get_invoice(session, organization_id, invoice_id)
        name = filename(invoice.id, invoice.number, "pdf")
        cached = await repository.get_document(session, invoice.id, invoice.version, PDF)
        if cached is not None:
            return StoredDocument(cached.content, cached.sha256, cached.version, name, cached.rendered_at)
        snapshot = await invoices.snapshot_of(session, invoice)
        logo = await parties_at_approval.find_logo(session, invoice, snapshot.issuer.logo_url
                                                   if snapshot.issuer else None)
    # The logo is drawn from the bytes stored when it was saved (an issued invoice: the image it was issued
    # with); a URL without them is left out.
    doc = dataclasses.replace(content.from_snapshot(snapshot), logo_url=logo.data_uri() if logo else None)

    pdf = await renderer.render_invoice_async(doc)

    async with db.transaction() as session:
        await repository.store_document(session, {
            "invoice_id": doc.invoice_id, "organization_id": organization_id, "version": doc.version, "kind": PDF,
            "content": pdf, "sha256": hashlib.sha256(pdf).hexdigest(), "rendered_at": utcnow()})
        stored = await repository.get_document(session, doc.invoice_id, doc.version, PDF)
    return StoredDocument(stored.content, stored.sha256, stored.version, name, stored.rendered_at)


async def invoice_facturx_xml(db: Database, organization_id: str, invoice_id: str) -> tuple[bytes, str]:
    """The EN 16931 XML of the current version (cheap and deterministic: built on each request)."""
    async with db.transaction() as session:
        invoice = await invoices.get_invoice(session, organization_id, invoice_id)  # 404 across orgs
        snapshot = await invoices.snapshot_of(session, invoice)
    doc = content.from_snapshot(snapshot)
    if doc.is_draft:
        raise conflict("invoice_not_issued",
                       "A draft has no invoice number yet, so no Factur-X XML; approve it first.")
    try:
        xml = facturx.build_xml(doc)
    except facturx.IncompleteInvoice as exc:
        raise conflict("einvoice_incomplete", f"This invoice can't be an EN 16931 e-invoice: {exc}",
                       param=exc.missing[0].param) from None
    return xml, filename(invoice.id, invoice.number, "xml")
