"""Collected per week (the dashboard home's chart) and the payment attempts log across invoices.

Collected: for each of the last `weeks` weeks (Monday to Sunday, UTC; the last one is the current week) and
each currency seen in that range, the payments received (counted when the money arrived: a manual payment's
paid_at, else when it was recorded), their sum, and the refunds that succeeded that week. Every week is
present for every currency seen, zeros included. Money is summed per currency in integer minor units.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy.ext.asyncio import AsyncSession

from duely_payments.reports import repository
from duely_payments.reports.schemas import CollectedReport, CollectedWeek, PaymentAttemptLog, PaymentAttemptLogEntry


def week_starts(today: date, weeks: int) -> list[datetime]:
    monday = today - timedelta(days=today.weekday())
    first = monday - timedelta(weeks=weeks - 1)
    return [datetime.combine(first + timedelta(weeks=i), time(0), tzinfo=timezone.utc) for i in range(weeks)]


async def collected(session: AsyncSession, organization_id: str, weeks: int,
                    today: date | None = None) -> CollectedReport:
    starts = week_starts(today or datetime.now(timezone.utc).date(), weeks)
    paid = await repository.collected_by_week(session, organization_id, starts)
    refunded = await repository.refunded_by_week(session, organization_id, starts)
    currencies = sorted({row[1] for row in paid} | {row[1] for row in refunded})
    cells = {(i, c): {"collected": 0, "refunded": 0, "payments": 0} for i in range(weeks) for c in currencies}
    for index, currency, count, amount in paid:
        cells[(index, currency)]["collected"] += amount
        cells[(index, currency)]["payments"] += count
    for index, currency, amount in refunded:
        cells[(index, currency)]["refunded"] += amount
    return CollectedReport(weeks=[CollectedWeek(week_start=starts[i].date(), currency=c, **cells[(i, c)])
                                  for i in range(weeks) for c in currencies])


async def attempts_log(session: AsyncSession, organization_id: str, *, customer_id: str | None,
                       invoice_id: str | None, status: str | None, limit: int,
                       starting_after: str | None) -> PaymentAttemptLog:
    page = await repository.page_attempts(session, organization_id, customer_id=customer_id, invoice_id=invoice_id,
                                          status=status, limit=limit, starting_after=starting_after)
    customers = await repository.customers_of(session, organization_id, {a.invoice_id for a in page.rows})
    return PaymentAttemptLog(data=[PaymentAttemptLogEntry.of_attempt(a, customers.get(a.invoice_id))
                                   for a in page.rows], has_more=page.has_more)
