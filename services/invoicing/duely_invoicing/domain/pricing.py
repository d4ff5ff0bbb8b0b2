"""Pricing an invoice: lines, then discounts, then taxes, into totals that always reconcile.

The complete rounding policy (amounts are integer minor units of the invoice
currency — 2 decimals for USD, 0 for JPY, 3 for KWD — and every rounding is
ROUND_HALF_UP of an exact decimal, at these points only):

1. Line amount = round(quantity × unit_amount).
2. Line discounts: each = round(line amount × pct / 100), or its fixed amount,
   computed on the line amount (they don't compound); Σ ≤ line amount.
3. Invoice discounts: each = round(base × pct / 100), or its fixed amount,
   where base = Σ (line amount − line discounts); Σ ≤ base. Their total is
   spread over the lines pro rata to (line amount − line discounts) by the
   largest-remainder method, so the shares add up to it exactly and no line
   goes below zero.
4. Tax per rate, on discounted amounts: exclusive = round(Σ taxable × pct / 100);
   inclusive = round(Σ net × pct / 100) with net = taxable / (1 + Σ inclusive
   pct of the line / 100) kept exact, i.e. the tax is extracted from the gross
   once per rate, not per line (see tax.py).
5. Each rate's tax is shared out to its lines by the largest-remainder method,
   pro rata to their exact tax, for the per-line `tax_amount` shown.

Hence, exactly and for every input:
    subtotal = Σ line amounts
    total_discount = Σ line discount_amount (own discounts + share of invoice discounts)
    total = subtotal − total_discount + exclusive tax
    Σ line total = total, where line total = amount − discount_amount (+ tax_amount if exclusive)
    Σ line tax_amount = tax = Σ tax breakdown
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Sequence

from duely_invoicing.domain.allocation import allocate
from duely_invoicing.domain.discounts import Discount, DiscountTooLarge, discount_amounts
from duely_invoicing.domain.money import line_amount
from duely_invoicing.domain.tax import LineInput, TaxBreakdownEntry, TaxRate, compute_totals

__all__ = ["Discount", "DiscountTooLarge", "LineSpec", "PricedLine", "Pricing", "TaxRate", "price_invoice"]


@dataclass(frozen=True)
class LineSpec:
    quantity: Decimal
    unit_amount: int
    tax_rates: tuple[TaxRate, ...] = ()
    discounts: tuple[Discount, ...] = ()


@dataclass(frozen=True)
class PricedLine:
    amount: int                        # quantity × unit_amount, before discounts
    discount_amounts: tuple[int, ...]  # what each of the line's own discounts took
    invoice_discount: int              # its share of the invoice-wide discounts
    tax_amount: int                    # its share of the taxes (inside `amount` when inclusive)
    inclusive: bool

    @property
    def discount_amount(self) -> int:
        return sum(self.discount_amounts) + self.invoice_discount

    @property
    def amount_after_discount(self) -> int:
        return self.amount - self.discount_amount

    @property
    def total(self) -> int:
        return self.amount_after_discount + (0 if self.inclusive else self.tax_amount)


@dataclass(frozen=True)
class Pricing:
    lines: tuple[PricedLine, ...]
    invoice_discount_amounts: tuple[int, ...]
    subtotal: int
    total_discount: int
    tax: int
    inclusive_tax: int
    exclusive_tax: int
    total: int
    tax_breakdown: tuple[TaxBreakdownEntry, ...]


def price_invoice(lines: Sequence[LineSpec], discounts: Sequence[Discount] = ()) -> Pricing:
    amounts = [line_amount(line.quantity, line.unit_amount) for line in lines]
    own: list[list[int]] = []
    for index, (line, amount) in enumerate(zip(lines, amounts)):
        try:
            own.append(discount_amounts(amount, line.discounts))
        except DiscountTooLarge as exc:
            raise exc.on_line(index) from None
    after_own = [amount - sum(taken) for amount, taken in zip(amounts, own)]
    invoice_taken = discount_amounts(sum(after_own), discounts)
    shares = allocate(sum(invoice_taken), after_own)
    totals = compute_totals([
        LineInput(line.quantity, line.unit_amount, line.tax_rates, discount=sum(taken) + share)
        for line, taken, share in zip(lines, own, shares)])
    priced = tuple(
        PricedLine(amount, tuple(taken), share, tax_amount, any(r.inclusive for r in line.tax_rates))
        for line, amount, taken, share, tax_amount in zip(lines, amounts, own, shares, totals.line_taxes))
    return Pricing(priced, tuple(invoice_taken), totals.subtotal, totals.discount, totals.tax,
                   totals.inclusive_tax, totals.exclusive_tax, totals.total, tuple(totals.tax_breakdown))
