"""SQL of the receivables report: aggregates computed by the database (GROUP BY), never by loading invoices.

Every query is scoped by organization and served by an index: open invoices by
ix_invoices_org_status_created (organization_id, status, …), customers by ix_customers_org_created.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Text, and_, case, cast, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from duely_invoicing.domain import status as invoice_status
from duely_invoicing.models import Customer, Invoice

BUCKETS = ("current", "1_30", "31_60", "61_90", "90_plus")


def aging_bucket(as_of: date):
    """The bucket of an invoice by days past due at `as_of` (days = as_of − due_date), as date comparisons so it
    reads the same on SQLite and Postgres: current = not yet due (due_date ≥ as_of, or none); 1_30 = 1..30 days…"""
    return case(
        (or_(Invoice.due_date.is_(None), Invoice.due_date >= as_of), literal("current")),
        (Invoice.due_date >= as_of - timedelta(days=30), literal("1_30")),
        (Invoice.due_date >= as_of - timedelta(days=60), literal("31_60")),
        (Invoice.due_date >= as_of - timedelta(days=90), literal("61_90")),
        else_=literal("90_plus"))


async def open_amounts_by_bucket(session: AsyncSession, organization_id: str,
                                 as_of: date) -> list[tuple[str, str, int, int]]:
    """[(currency, bucket, count, sum of amount_due)] of the organization's open (issued, past_due) invoices."""
    bucket = aging_bucket(as_of).label("bucket")
    stmt = (select(Invoice.currency, bucket, func.count(), func.coalesce(func.sum(Invoice.amount_due), 0))
            .where(Invoice.organization_id == organization_id, Invoice.status.in_(invoice_status.OPEN))
            .group_by(Invoice.currency, bucket))
    return [(row[0], row[1], int(row[2]), int(row[3])) for row in (await session.execute(stmt)).all()]


async def open_invoices_autopay(session: AsyncSession, organization_id: str) -> tuple[int, int]:
    """(open invoices, of which with an enabled AutoPay plan fixed at approval)."""
    with_plan = case((Invoice.autopay_plan["enabled"].as_boolean().is_(True), 1), else_=0)
    stmt = (select(func.count(), func.coalesce(func.sum(with_plan), 0))
            .where(Invoice.organization_id == organization_id, Invoice.status.in_(invoice_status.OPEN)))
    total, enabled = (await session.execute(stmt)).one()
    return int(total), int(enabled)


def _is_set(column):
    """A level sets AutoPay when its column holds an object: SQL NULL and JSON null both mean "inherit"."""
    return and_(column.is_not(None), cast(column, Text) != "null")


async def customers_autopay(session: AsyncSession, organization_id: str, organization_enabled: bool) -> tuple[int, int]:
    """(customers, of which with AutoPay enabled once resolved). The customer's own AutoPay object decides WHOLE
    when set (a missing `enabled` in it = False, as settings.service.autopay_value reads it); otherwise the
    organization's resolved value (`organization_enabled`) applies."""
    enabled = case(
        (_is_set(Customer.autopay),
         case((Customer.autopay["enabled"].as_boolean().is_(True), 1), else_=0)),
        else_=1 if organization_enabled else 0)
    stmt = (select(func.count(), func.coalesce(func.sum(enabled), 0))
            .where(Customer.organization_id == organization_id))
    total, with_autopay = (await session.execute(stmt)).one()
    return int(total), int(with_autopay)
