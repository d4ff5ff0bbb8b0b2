"""Discounts: a percentage or a fixed amount, on one line or on the whole invoice.

- A percentage discount takes round_half_up(base × percentage / 100) off its
  base; a fixed one takes its amount (minor units of the invoice currency).
- Several discounts on the same base don't compound: each is computed on the
  same base and rounded once on its own, so each shows the amount it took.
- Their sum must not exceed the base: `DiscountTooLarge` names the first
  discount that goes over (the API turns it into a 400 naming the field).
- Line discounts have the line's amount as their base. Invoice discounts have
  the sum of the lines after their own discounts; what they take is spread
  over the lines pro rata with `allocation.allocate` (pricing.py does this).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Sequence

from duely_invoicing.domain.money import round_half_up

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Discount:
    percentage: Decimal | None = None
    amount: int | None = None

    def __post_init__(self) -> None:
        if (self.percentage is None) == (self.amount is None):
            raise ValueError("a discount is either a percentage or an amount")
        if self.percentage is not None and not 0 <= self.percentage <= HUNDRED:
            raise ValueError("a discount percentage is between 0 and 100")
        if self.amount is not None and self.amount < 0:
            raise ValueError("a discount amount is not negative")

    def amount_off(self, base: int) -> int:
        if self.percentage is not None:
            return round_half_up(Decimal(base) * self.percentage / HUNDRED)
        return self.amount


class DiscountTooLarge(ValueError):
    """Discount `index` (of line `line`, or of the invoice when line is None) takes more than its base."""

    def __init__(self, index: int, base: int, requested: int, line: int | None = None) -> None:
        self.index, self.base, self.requested, self.line = index, base, requested, line
        where = f"line {line}" if line is not None else "the invoice"
        super().__init__(f"discounts on {where} add up to {requested}, above the {base} they apply to")

    def on_line(self, line: int) -> "DiscountTooLarge":
        return DiscountTooLarge(self.index, self.base, self.requested, line)


def discount_amounts(base: int, discounts: Sequence[Discount]) -> list[int]:
    """What each discount takes off `base`; raises DiscountTooLarge when they add up to more than it."""
    taken, running = [], 0
    for index, discount in enumerate(discounts):
        off = discount.amount_off(base)
        running += off
        if running > base:
            raise DiscountTooLarge(index, base, running)
        taken.append(off)
    return taken
