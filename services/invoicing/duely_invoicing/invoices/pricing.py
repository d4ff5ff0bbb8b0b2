"""Pricing use cases: lines from API input (tax rates inline or by id, discounts, period) and
re-pricing an invoice after any change, so stored totals always match domain/pricing.py.

Lines keep a copy of each tax rate (id, display name, percentage, inclusive)
taken when the line is written, so editing or deactivating a reusable rate
never changes an invoice that already carries it. Under a zero-tax VAT
treatment (reverse charge, intra-Community supply, export, exempt) no rate
applies: the lines carry none, and the breakdown is the treatment at 0 %.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from duely_invoicing.domain import money, pricing, tax
from duely_invoicing.invoices import tax_treatment
from duely_invoicing.invoices.schemas import DiscountIn, PeriodIn
from duely_invoicing.models import Invoice, InvoiceLine
from duely_invoicing.tax_rates import repository as tax_rates_repository
from duely_runtime.errors import ApiError, invalid
from duely_runtime.kit.ids import new_id


def field(prefix: str, name: str) -> str:
    """'lines[2]' + 'quantity' → 'lines[2].quantity'; '' + 'quantity' → 'quantity'."""
    return f"{prefix}.{name}" if prefix else name


def discounts_json(discounts: list[DiscountIn]) -> list[dict]:
    return [{"percentage": money.decimal_str(d.percentage) if d.percentage is not None else None,
             "amount": d.amount, "discount_amount": 0} for d in discounts]


async def tax_rate_copies(session: AsyncSession, organization_id: str, inline: list, ids: list[str],
                          prefix: str) -> list[dict]:
    """The rates a line will carry: inline ones, then reusable ones (active, of this organization)."""
    copies = [{"id": None, "display_name": r.display_name, "percentage": money.decimal_str(r.percentage),
               "inclusive": r.inclusive} for r in inline]
    found = await tax_rates_repository.tax_rates_by_id(session, organization_id, ids)
    for j, rate_id in enumerate(ids):
        param = field(prefix, f"tax_rate_ids[{j}]")
        row = found.get(rate_id)
        if row is None:
            raise ApiError(400, "resource_missing", f"No such tax rate: '{rate_id}'", param=param)
        if not row.active:
            raise invalid(param, f"Tax rate '{rate_id}' is inactive; inactive rates can't be put on new lines.",
                          code="tax_rate_inactive")
        if rate_id not in {c["id"] for c in copies}:
            copies.append({"id": row.id, "display_name": row.display_name, "percentage": row.percentage,
                           "inclusive": row.inclusive})
    if tax.mixes_inclusive_and_exclusive([_rate(c) for c in copies]):
        raise invalid(field(prefix, "tax_rates"), "A line's tax rates must be all inclusive or all exclusive.")
    return copies


def apply_period(line: InvoiceLine, period: PeriodIn | None) -> None:
    line.period_start, line.period_end = (period.start, period.end) if period else (None, None)


async def new_line(session: AsyncSession, organization_id: str, data, position: int, prefix: str) -> InvoiceLine:
    """An unpriced line from a schemas.LineIn; `reprice` fills in its amounts."""
    line = InvoiceLine(
        id=new_id("il"), position=position, description=data.description,
        quantity=money.decimal_str(data.quantity), unit_amount=data.unit_amount, amount=0,
        tax_rates=await tax_rate_copies(session, organization_id, data.tax_rates, data.tax_rate_ids, prefix),
        discounts=discounts_json(data.discounts), discount_amount=0, tax_amount=0)
    apply_period(line, data.period)
    return line


def reprice(invoice: Invoice, line_prefix: Callable[[int], str] = lambda i: f"lines[{i}]") -> None:
    """Recompute every amount of the invoice and its lines from quantities, prices, discounts and rates.

    Raises a 400 naming the field when a discount is above what it applies to or an amount is too large;
    `line_prefix(i)` says how the request addressed line i (e.g. 'lines[2]', or '' for the line edited).
    """
    lines = list(invoice.lines)
    zero_tax = tax_treatment.applied(invoice).zero_rated
    if zero_tax:
        for line in lines:  # the treatment decides the tax, not the rates a line was given
            line.tax_rates = []
    specs = [pricing.LineSpec(Decimal(line.quantity), line.unit_amount,
                              tuple(_rate(r) for r in line.tax_rates),
                              tuple(_discount(d) for d in line.discounts or []))
             for line in lines]
    try:
        priced = pricing.price_invoice(specs, [_discount(d) for d in invoice.discounts or []])
    except pricing.DiscountTooLarge as exc:
        prefix = "" if exc.line is None else line_prefix(exc.line)
        what = "the line's amount" if exc.line is not None else "the lines' amounts after their own discounts"
        raise invalid(field(prefix, f"discounts[{exc.index}]"),
                      f"Discounts add up to {exc.requested}, above {what} ({exc.base}).",
                      code="discount_too_large") from None
    for index, (line, result) in enumerate(zip(lines, priced.lines)):
        if result.amount > money.MAX_AMOUNT:
            raise invalid(field(line_prefix(index), "quantity"),
                          f"quantity × unit_amount must not exceed {money.MAX_AMOUNT}.")
        line.amount, line.discount_amount, line.tax_amount = (result.amount, result.discount_amount,
                                                              result.tax_amount)
        line.discounts = [dict(d, discount_amount=taken) for d, taken in zip(line.discounts or [],
                                                                              result.discount_amounts)]
    if priced.subtotal > money.MAX_AMOUNT or priced.total > money.MAX_AMOUNT:
        raise invalid("lines", f"The invoice's subtotal and total must not exceed {money.MAX_AMOUNT}.")
    invoice.discounts = [dict(d, discount_amount=taken) for d, taken in zip(invoice.discounts or [],
                                                                             priced.invoice_discount_amounts)]
    invoice.subtotal, invoice.total_discount = priced.subtotal, priced.total_discount
    invoice.tax, invoice.total = priced.tax, priced.total
    invoice.amount_due = max(priced.total - (invoice.amount_paid or 0), 0)
    invoice.tax_breakdown = tax_treatment.zero_tax_breakdown(invoice) if zero_tax else [
        {"display_name": e.display_name, "percentage": money.decimal_str(e.percentage), "inclusive": e.inclusive,
         "taxable_amount": e.taxable_amount, "tax_amount": e.tax_amount} for e in priced.tax_breakdown]


def _rate(copy: dict) -> tax.TaxRate:
    return tax.TaxRate(copy["display_name"], Decimal(copy["percentage"]), bool(copy["inclusive"]))


def _discount(stored: dict) -> pricing.Discount:
    if stored.get("percentage") is not None:
        return pricing.Discount(percentage=Decimal(stored["percentage"]))
    return pricing.Discount(amount=int(stored["amount"]))
