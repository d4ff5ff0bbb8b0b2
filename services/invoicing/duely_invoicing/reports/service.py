"""The receivables report for the dashboard's home: open and overdue amounts, aging, AutoPay coverage.

- Open = status issued or past_due; amounts are `amount_due` (what is still owed), summed per currency
  exactly in integer minor units; currencies are never mixed.
- Aging: days past due at `as_of` = as_of − due_date. `current` = not yet due (no due date, or due on or
  after as_of); then 1_30, 31_60, 61_90, 90_plus. Overdue = every bucket but current. The report is of the
  invoices open now, aged as if today were `as_of` (a past as_of does not rebuild history).
- AutoPay coverage. Customers: each customer's AutoPay resolved customer → organization → default (disabled),
  computed in SQL from the stored columns rather than by resolving each customer in Python (one aggregate
  query, whatever the number of customers). The chain is the one of domain/settings_resolution.py: the most
  specific level holding an AutoPay object decides WHOLE. Subscriptions' overrides are per subscription, not per
  customer, so they do not count here. Open invoices: the AutoPay plan fixed on each invoice at approval
  (which did take the subscription's override into account) says whether it will be charged.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from duely_invoicing.reports import repository
from duely_invoicing.reports.schemas import Aging, AutopayCoverage, CurrencyReceivables, ReceivablesReport
from duely_invoicing.settings import repository as settings_repository
from duely_invoicing.settings.service import autopay_value

_FIELDS = {"current": "current", "1_30": "d1_30", "31_60": "d31_60", "61_90": "d61_90", "90_plus": "d90_plus"}


async def receivables(session: AsyncSession, organization_id: str, as_of: date) -> ReceivablesReport:
    rows = await repository.open_amounts_by_bucket(session, organization_id, as_of)
    per_currency: dict[str, dict] = {}
    for currency, bucket, count, amount in rows:
        entry = per_currency.setdefault(currency, {"open_amount": 0, "open_count": 0, "overdue_amount": 0,
                                                   "overdue_count": 0, "aging": dict.fromkeys(_FIELDS.values(), 0)})
        entry["open_amount"] += amount
        entry["open_count"] += count
        if bucket != "current":
            entry["overdue_amount"] += amount
            entry["overdue_count"] += count
        entry["aging"][_FIELDS[bucket]] += amount
    currencies = [CurrencyReceivables(currency=currency, open_amount=e["open_amount"], open_count=e["open_count"],
                                      overdue_amount=e["overdue_amount"], overdue_count=e["overdue_count"],
                                      aging=Aging(**e["aging"]))
                  for currency, e in sorted(per_currency.items())]
    settings_row = await settings_repository.find_settings(session, organization_id)
    organization_autopay = autopay_value(settings_row.autopay if settings_row is not None else None)
    customers, customers_with = await repository.customers_autopay(
        session, organization_id, bool(organization_autopay and organization_autopay["enabled"]))
    open_invoices, open_with = await repository.open_invoices_autopay(session, organization_id)
    return ReceivablesReport(as_of=as_of, currencies=currencies, autopay=AutopayCoverage(
        customers=customers, customers_with_autopay=customers_with, open_invoices=open_invoices,
        open_invoices_with_autopay=open_with))
