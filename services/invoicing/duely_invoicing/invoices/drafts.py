"""Editing drafts: add, change and remove lines; change memo, terms, currency, discounts; delete.

Each use case locks the invoice row, refuses anything but a draft (409
invoice_not_editable), applies the change, re-prices the whole invoice
(pricing.reprice) and bumps its version. Drafts publish no events:
other services first hear of an invoice when it is issued.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy.ext.asyncio import AsyncSession

from duely_invoicing.domain import money, status
from duely_invoicing.invoices import pricing, service
from duely_invoicing.invoices.schemas import InvoiceUpdate, LineUpdate
from duely_invoicing.models import Invoice, InvoiceLine
from duely_runtime.errors import conflict, not_found


async def editable_invoice(session: AsyncSession, organization_id: str, invoice_id: str) -> Invoice:
    invoice = await service.get_invoice(session, organization_id, invoice_id, for_update=True)
    if invoice.status != status.DRAFT:
        raise conflict("invoice_not_editable", f"Only draft invoices can be edited; this one is {invoice.status}.")
    return invoice


def _line(invoice: Invoice, line_id: str) -> InvoiceLine:
    for line in invoice.lines:
        if line.id == line_id:
            return line
    raise not_found("invoice line", line_id, param="line_id")


def _touched(invoice: Invoice) -> None:
    invoice.version += 1
    invoice.updated_at = datetime.now(timezone.utc)


def _prefixes(invoice: Invoice, edited: InvoiceLine):
    """How the request names each line: '' for the one it edits, lines[i] for the others."""
    ids = [line.id for line in invoice.lines]
    return lambda i: "" if ids[i] == edited.id else f"lines[{i}]"


async def add_line(session: AsyncSession, organization_id: str, invoice_id: str, data) -> Invoice:
    invoice = await editable_invoice(session, organization_id, invoice_id)
    position = max((line.position for line in invoice.lines), default=-1) + 1
    line = await pricing.new_line(session, organization_id, data, position, prefix="")
    invoice.lines.append(line)
    pricing.reprice(invoice, _prefixes(invoice, line))
    await service.ensure_publishable(session, invoice)
    _touched(invoice)
    await session.flush()
    return invoice


async def update_line(session: AsyncSession, organization_id: str, invoice_id: str, line_id: str,
                      data: LineUpdate) -> Invoice:
    invoice = await editable_invoice(session, organization_id, invoice_id)
    line = _line(invoice, line_id)
    given = data.model_fields_set
    for name in ("description", "unit_amount"):
        if name in given and getattr(data, name) is not None:
            setattr(line, name, getattr(data, name))
    if "quantity" in given and data.quantity is not None:
        line.quantity = money.decimal_str(data.quantity)
    if given & {"tax_rates", "tax_rate_ids"}:
        line.tax_rates = await pricing.tax_rate_copies(session, organization_id, data.tax_rates or [],
                                                               data.tax_rate_ids or [], prefix="")
    if "discounts" in given:
        line.discounts = pricing.discounts_json(data.discounts or [])
    if "period" in given:
        pricing.apply_period(line, data.period)
    pricing.reprice(invoice, _prefixes(invoice, line))
    await service.ensure_publishable(session, invoice)
    _touched(invoice)
    await session.flush()
    return invoice


async def delete_line(session: AsyncSession, organization_id: str, invoice_id: str, line_id: str) -> Invoice:
    invoice = await editable_invoice(session, organization_id, invoice_id)
    line = _line(invoice, line_id)
    if len(invoice.lines) == 1:
        raise conflict("invoice_needs_a_line", "An invoice keeps at least one line; delete the draft instead.",
                       param="line_id")
    invoice.lines.remove(line)
    pricing.reprice(invoice)
    _touched(invoice)
    await session.flush()
    return invoice


async def update_invoice(session: AsyncSession, organization_id: str, invoice_id: str,
                         data: InvoiceUpdate) -> Invoice:
    invoice = await editable_invoice(session, organization_id, invoice_id)
    given = data.model_fields_set
    for name in ("memo", "reporting_currency"):
        if name in given:
            setattr(invoice, name, getattr(data, name))
    for name in ("payment_terms", "currency"):
        if name in given and getattr(data, name) is not None:
            setattr(invoice, name, getattr(data, name))
    if "discounts" in given:
        invoice.discounts = pricing.discounts_json(data.discounts or [])
    pricing.reprice(invoice)
    await service.ensure_publishable(session, invoice)
    _touched(invoice)
    await session.flush()
    return invoice


async def delete_invoice(session: AsyncSession, organization_id: str, invoice_id: str) -> str:
    invoice = await editable_invoice(session, organization_id, invoice_id)
    await session.delete(invoice)  # lines go with it (delete-orphan); a draft has no payments
    await session.flush()
    return invoice.id
