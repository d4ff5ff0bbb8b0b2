"""Invoice totals and the tax breakdown, computed from lines and their tax rates.

Rules (all amounts integer minor units, all rounding ROUND_HALF_UP, see money.py;
pricing.py states the whole policy, discounts included):

- line amount = round(quantity × unit_amount). This is what the line shows and
  what the subtotal adds up; for inclusive taxes it already contains the tax.
- A line's taxable amount is its amount less its discount (`LineInput.discount`,
  worked out by pricing.py): tax is computed on the discounted amount.
- subtotal = Σ line amounts (before discounts); discount = Σ line discounts.
- Taxes are rounded once per rate over the whole invoice, not per line, so a
  hundred small lines don't accumulate a hundred rounding errors. A rate is
  identified by (display_name, percentage, inclusive); its `taxable_amount` is
  the Σ of the taxable amounts of the lines carrying it (a rate given twice on
  one line counts once).
- exclusive rate: tax = round(taxable × pct / 100), added on top.
- inclusive rate: tax = round(Σ net × pct / 100) where a line's net is
  taxable / (1 + Σ inclusive pct of that line / 100), kept exact until the one
  rounding. With one inclusive rate per line this is exactly
  taxable − taxable / (1 + pct/100); with stacked inclusive rates (state +
  city) each rate is taken of the same net, as tax law expects, instead of
  each rate being backed out of the gross independently.
- Each rate's rounded tax is then shared out to the lines carrying it, pro rata
  to their exact (unrounded) tax, with the largest-remainder method
  (allocation.py), so the per-line taxes shown add up to the invoice's tax.
- tax = Σ all per-rate taxes; total = subtotal − discount + Σ exclusive taxes
  (inclusive taxes are already inside the line amounts).

A line carries either exclusive or inclusive rates, never both: mixing them on
one line has no single accepted meaning, so validation rejects it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from duely_invoicing.domain.allocation import allocate
from duely_invoicing.domain.money import line_amount, round_half_up

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class TaxRate:
    display_name: str
    percentage: Decimal
    inclusive: bool = False

    @property
    def key(self) -> tuple[str, Decimal, bool]:
        return (self.display_name, self.percentage.normalize(), self.inclusive)


@dataclass(frozen=True)
class LineInput:
    quantity: Decimal
    unit_amount: int
    tax_rates: tuple[TaxRate, ...] = ()
    discount: int = 0  # minor units taken off this line before tax (0 ≤ discount ≤ amount)


@dataclass(frozen=True)
class TaxBreakdownEntry:
    display_name: str
    percentage: Decimal
    inclusive: bool
    taxable_amount: int
    tax_amount: int


@dataclass(frozen=True)
class Totals:
    line_amounts: list[int]
    subtotal: int
    tax: int
    total: int
    inclusive_tax: int
    exclusive_tax: int
    tax_breakdown: list[TaxBreakdownEntry] = field(default_factory=list)
    discount: int = 0
    line_taxes: list[int] = field(default_factory=list)  # each line's share of the taxes, Σ = tax


def mixes_inclusive_and_exclusive(rates: tuple[TaxRate, ...] | list[TaxRate]) -> bool:
    return len({r.inclusive for r in rates}) > 1


def compute_totals(lines: list[LineInput]) -> Totals:
    amounts = [line_amount(line.quantity, line.unit_amount) for line in lines]
    taxable: dict[tuple, int] = defaultdict(int)
    exact_taxes: dict[tuple, dict[int, Decimal]] = defaultdict(dict)  # rate → {line index: unrounded tax}
    rates: dict[tuple, TaxRate] = {}
    for index, (line, amount) in enumerate(zip(lines, amounts)):
        if not 0 <= line.discount <= amount:
            raise ValueError(f"line {index}: discount {line.discount} is not between 0 and its amount {amount}")
        taxable_amount = amount - line.discount
        unique_rates = {rate.key: rate for rate in line.tax_rates}  # the same rate twice on a line counts once
        inclusive_pct = sum((r.percentage for r in unique_rates.values() if r.inclusive), Decimal(0))
        net = Decimal(taxable_amount) / (1 + inclusive_pct / HUNDRED) if inclusive_pct else Decimal(taxable_amount)
        for key, rate in unique_rates.items():
            rates.setdefault(key, rate)
            taxable[key] += taxable_amount
            exact_taxes[key][index] = net * rate.percentage / HUNDRED
    breakdown = []
    line_taxes = [0] * len(lines)
    for key, rate in rates.items():  # insertion order: first appearance on the invoice
        per_line = exact_taxes[key]
        tax_amount = round_half_up(sum(per_line.values(), Decimal(0)))
        for index, share in zip(per_line, allocate(tax_amount, list(per_line.values()))):
            line_taxes[index] += share
        breakdown.append(TaxBreakdownEntry(rate.display_name, rate.percentage, rate.inclusive,
                                           taxable[key], tax_amount))
    subtotal = sum(amounts)
    discount = sum(line.discount for line in lines)
    inclusive_tax = sum(e.tax_amount for e in breakdown if e.inclusive)
    exclusive_tax = sum(e.tax_amount for e in breakdown if not e.inclusive)
    return Totals(amounts, subtotal, inclusive_tax + exclusive_tax, subtotal - discount + exclusive_tax,
                  inclusive_tax, exclusive_tax, breakdown, discount, line_taxes)
