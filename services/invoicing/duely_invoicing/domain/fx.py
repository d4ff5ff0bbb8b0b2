"""Showing an invoice's total in a reporting currency: exchange rates and conversion (pure, no I/O).

A rate says 1 unit of `base` = `rate` units of `quote` (major units, as
published). Converting an amount of minor units:

    reporting total = round_half_up(amount / 10^exp(base) × rate × 10^exp(quote))

so 12,345 JPY at 0.0067 USD/JPY is 12345 × 0.0067 = 82.7115 USD → 8271 cents.
Rates come from a `RatesProvider`; the embedded one is the organization's table
of manual rates (POST /v1/exchange_rates). `find_rate` takes the latest rate
dated on or before the day asked for, trying base→quote and then the inverse
of quote→base (1/rate to 12 significant digits) — the more recent one wins,
the direct one on a tie. The rate, its source and its date are stored on the
invoice at approval and never recomputed afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Context, Decimal, localcontext
from typing import Protocol

from duely_invoicing.domain.money import minor_unit_exponent, round_half_up

INVERSE_DIGITS = 12


@dataclass(frozen=True)
class ExchangeRate:
    base: str
    quote: str
    rate: Decimal
    rate_date: date
    source: str = "manual"


@dataclass(frozen=True)
class ReportingTotal:
    currency: str
    rate: Decimal
    source: str
    rate_date: date
    total: int


class RatesProvider(Protocol):
    async def latest(self, base: str, quote: str, on: date) -> ExchangeRate | None:
        """The most recent base→quote rate dated on or before `on`, or None."""


def convert(amount: int, from_currency: str, to_currency: str, rate: Decimal) -> int:
    with localcontext(Context(prec=60)):  # exact for any amount and rate we accept
        major = Decimal(amount).scaleb(-minor_unit_exponent(from_currency)) * rate
        return round_half_up(major.scaleb(minor_unit_exponent(to_currency)))


def inverse(rate: ExchangeRate) -> ExchangeRate:
    inverted = Context(prec=INVERSE_DIGITS).divide(Decimal(1), rate.rate)
    return ExchangeRate(rate.quote, rate.base, inverted, rate.rate_date, f"{rate.source} (inverse)")


def choose(direct: ExchangeRate | None, reverse: ExchangeRate | None) -> ExchangeRate | None:
    """The more recent of a direct rate and an inverted reverse one; the direct one on a tie."""
    if direct is None or reverse is None:
        return direct or (inverse(reverse) if reverse else None)
    return direct if direct.rate_date >= reverse.rate_date else inverse(reverse)


async def find_rate(provider: RatesProvider, base: str, quote: str, on: date) -> ExchangeRate | None:
    if base == quote:
        return ExchangeRate(base, quote, Decimal(1), on, "identity")
    return choose(await provider.latest(base, quote, on), await provider.latest(quote, base, on))


def reporting_total(amount: int, currency: str, rate: ExchangeRate) -> ReportingTotal:
    if rate.base != currency:
        raise ValueError(f"a {rate.base}→{rate.quote} rate cannot convert {currency}")
    return ReportingTotal(rate.quote, rate.rate, rate.source, rate.rate_date,
                          convert(amount, currency, rate.quote, rate.rate))
