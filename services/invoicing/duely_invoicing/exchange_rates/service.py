"""Manual exchange rates and the reporting-currency total fixed on an invoice at approval."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from duely_invoicing.domain import fx, money
from duely_invoicing.exchange_rates import repository
from duely_invoicing.exchange_rates.schemas import ExchangeRateCreate, ExchangeRateOut
from duely_invoicing.models import ExchangeRate, Invoice
from duely_runtime.errors import conflict
from duely_runtime.kit.ids import new_id
from duely_runtime.kit.pagination import Page


class StoredRates:
    """The embedded RatesProvider: the organization's manual rates (no network access here)."""

    def __init__(self, session: AsyncSession, organization_id: str) -> None:
        self.session, self.organization_id = session, organization_id

    async def latest(self, base: str, quote: str, on: date) -> fx.ExchangeRate | None:
        row = await repository.latest_exchange_rate(self.session, self.organization_id, base, quote, on)
        return fx.ExchangeRate(row.base, row.quote, Decimal(row.rate), row.rate_date, row.source) if row else None


async def create_exchange_rate(session: AsyncSession, organization_id: str, data: ExchangeRateCreate) -> ExchangeRate:
    row = ExchangeRate(id=new_id("fxr"), organization_id=organization_id, base=data.base, quote=data.quote,
                       rate=money.decimal_str(data.rate), rate_date=data.date, source=data.source,
                       created_at=datetime.now(timezone.utc))
    session.add(row)
    await session.flush()
    return row


async def list_exchange_rates(session: AsyncSession, organization_id: str, *, limit: int, base: str | None,
                              quote: str | None, cursor: str | None, starting_after: str | None) -> Page:
    return await repository.list_exchange_rates(session, organization_id, limit=limit, base=base, quote=quote,
                                                cursor=cursor, starting_after=starting_after)


async def fix_reporting_total(session: AsyncSession, invoice: Invoice, on: date) -> None:
    """At approval: convert the total with the latest rate dated on or before `on` and store it for good."""
    if not invoice.reporting_currency:
        invoice.reporting = None
        return
    rate = await fx.find_rate(StoredRates(session, invoice.organization_id), invoice.currency,
                              invoice.reporting_currency, on)
    if rate is None:
        raise conflict("exchange_rate_missing",
                       f"No {invoice.currency.upper()}→{invoice.reporting_currency.upper()} exchange rate dated on "
                       f"or before {on.isoformat()}; add one with POST /v1/exchange_rates, or remove the "
                       "invoice's reporting_currency.", param="reporting_currency")
    result = fx.reporting_total(invoice.total, invoice.currency, rate)
    invoice.reporting = {"currency": result.currency, "rate": money.decimal_str(result.rate),
                         "source": result.source, "rate_date": result.rate_date.isoformat(), "total": result.total}


def exchange_rate_out(row: ExchangeRate) -> ExchangeRateOut:
    return ExchangeRateOut(id=row.id, base=row.base, quote=row.quote, rate=row.rate, date=row.rate_date,
                           source=row.source, created_at=row.created_at)
