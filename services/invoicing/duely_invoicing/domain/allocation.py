"""Splitting a whole number of minor units over parts, exactly: the largest-remainder method.

Each part first takes floor(total × weight / Σ weights); the units still left
(fewer than the number of parts) go one each to the parts with the largest
fractional remainders, the earlier part first on a tie. Shares add up to the
total exactly, are never negative, and a part never gets more than
ceil(its exact share), so with total ≤ Σ weights no part exceeds its weight.
Arithmetic is in Fractions, so no share depends on decimal precision.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Sequence


def allocate(total: int, weights: Sequence[int | Decimal | Fraction]) -> list[int]:
    if total < 0:
        raise ValueError("cannot allocate a negative amount")
    exact_weights = [Fraction(w) for w in weights]
    if any(w < 0 for w in exact_weights):
        raise ValueError("weights must not be negative")
    weight_sum = sum(exact_weights, Fraction(0))
    if weight_sum == 0:
        if total:
            raise ValueError("cannot allocate an amount over parts that all weigh nothing")
        return [0] * len(exact_weights)
    exact = [total * w / weight_sum for w in exact_weights]
    shares = [math.floor(e) for e in exact]
    left = total - sum(shares)
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_remainder[:left]:
        shares[i] += 1
    return shares
