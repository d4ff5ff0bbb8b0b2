"""Invoice totals and the tax breakdown, computed from lines and their tax rates.

Rules (all amounts integer minor units, all rounding ROUND_HALF_UP, see money.py):

- line amount = round(quantity × unit_amount). This is what the line shows and
  what the subtotal adds up; for inclusive taxes it already contains the tax.
- subtotal = Σ line amounts.
- Taxes are rounded once per rate over the whole invoice, not per line, so a
  hundred small lines don't accumulate a hundred rounding errors. A rate is
  identified by (display_name, percentage, inclusive); its `taxable_amount` is
  the Σ of the amounts of the lines carrying it.
- exclusive rate: tax = round(taxable × pct / 100), added on top.
- inclusive rate: tax = round(Σ net × pct / 100) where a line's net is
  amount / (1 + Σ inclusive pct of that line / 100), kept exact until the one
  rounding. With one inclusive rate per line this is exactly
  taxable − taxable / (1 + pct/100); with stacked inclusive rates (state +
  city) each rate is taken of the same net, as tax law expects, instead of
  each rate being backed out of the gross independently.
- tax = Σ all per-rate taxes; total = subtotal + Σ exclusive taxes (inclusive
  taxes are already inside the subtotal).

A line carries either exclusive or inclusive rates, never both: mixing them on
one line has no single accepted meaning, so validation rejects it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

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


def mixes_inclusive_and_exclusive(rates: tuple[TaxRate, ...] | list[TaxRate]) -> bool:
    return len({r.inclusive for r in rates}) > 1


def compute_totals(lines: list[LineInput]) -> Totals:
    amounts = [line_amount(line.quantity, line.unit_amount) for line in lines]
    taxable: dict[tuple, int] = defaultdict(int)
    tax_base: dict[tuple, Decimal] = defaultdict(Decimal)  # exact, unrounded
    rates: dict[tuple, TaxRate] = {}
    for line, amount in zip(lines, amounts):
        inclusive_pct = sum((r.percentage for r in line.tax_rates if r.inclusive), Decimal(0))
        net = Decimal(amount) / (1 + inclusive_pct / HUNDRED) if inclusive_pct else Decimal(amount)
        for rate in dict.fromkeys(line.tax_rates):  # the same rate twice on a line counts once
            rates.setdefault(rate.key, rate)
            taxable[rate.key] += amount
            tax_base[rate.key] += net
    breakdown = []
    for key, rate in rates.items():  # insertion order: first appearance on the invoice
        tax_amount = round_half_up(tax_base[key] * rate.percentage / HUNDRED)
        breakdown.append(TaxBreakdownEntry(rate.display_name, rate.percentage, rate.inclusive,
                                           taxable[key], tax_amount))
    subtotal = sum(amounts)
    inclusive_tax = sum(e.tax_amount for e in breakdown if e.inclusive)
    exclusive_tax = sum(e.tax_amount for e in breakdown if not e.inclusive)
    return Totals(amounts, subtotal, inclusive_tax + exclusive_tax, subtotal + exclusive_tax,
                  inclusive_tax, exclusive_tax, breakdown)
