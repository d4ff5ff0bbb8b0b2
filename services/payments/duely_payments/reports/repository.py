"""SQL of the reports and the attempts log: aggregates by GROUP BY, pages by keyset, every query by organization.

Weeks are grouped with a CASE over the weeks' bounds (as timestamps), so the same SQL runs on SQLite and
Postgres without date functions; the range filter on created_at uses ix_payments_org_created /
ix_refunds_org_created / ix_payment_attempts_org_created.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from duely_payments.models import Invoice, Payment, PaymentAttempt, Refund
from duely_runtime.errors import not_found
from duely_runtime.kit.pagination import Page, keyset_page, start_position

INVALID = "invalid"  # attempts the gateway refused as invalid requests: never payments, never listed
# A refund completes after it was created: one created this long before the range and completed inside it counts.
REFUND_SETTLING_WINDOW = timedelta(days=14)


def week_index(moment, starts: list[datetime]):
    """0-based index of the week (bounds `starts`, ascending Mondays 00:00 UTC) `moment` falls in."""
    whens = [(moment < start, literal(i - 1)) for i, start in enumerate(starts[1:], start=1)]
    return case(*whens, else_=literal(len(starts) - 1)) if whens else literal(0)


async def collected_by_week(session: AsyncSession, organization_id: str,
                            starts: list[datetime]) -> list[tuple[int, str, int, int]]:
    """[(week index, currency, payments, sum)] of payments whose money arrived (paid_at, else created_at) in range.
    paid_at is never after created_at, so created_at ≥ start bounds the scan without losing any."""
    arrived = func.coalesce(Payment.paid_at, Payment.created_at)
    week = week_index(arrived, starts).label("week")
    stmt = (select(week, Payment.currency, func.count(), func.coalesce(func.sum(Payment.amount), 0))
            .where(Payment.organization_id == organization_id, Payment.created_at >= starts[0], arrived >= starts[0])
            .group_by(week, Payment.currency))
    return [(int(r[0]), r[1], int(r[2]), int(r[3])) for r in (await session.execute(stmt)).all()]


async def refunded_by_week(session: AsyncSession, organization_id: str,
                           starts: list[datetime]) -> list[tuple[int, str, int]]:
    """[(week index, currency, sum)] of refunds that succeeded (completed_at) in range."""
    week = week_index(Refund.completed_at, starts).label("week")
    stmt = (select(week, Refund.currency, func.coalesce(func.sum(Refund.amount), 0))
            .where(Refund.organization_id == organization_id, Refund.status == "succeeded",
                   Refund.created_at >= starts[0] - REFUND_SETTLING_WINDOW, Refund.completed_at >= starts[0])
            .group_by(week, Refund.currency))
    return [(int(r[0]), r[1], int(r[2])) for r in (await session.execute(stmt)).all()]


async def page_attempts(session: AsyncSession, organization_id: str, *, customer_id: str | None,
                        invoice_id: str | None, status: str | None, limit: int,
                        starting_after: str | None) -> Page[PaymentAttempt]:
    """The organization's attempts, newest first (keyset on created_at, id). A customer's attempts are those of its
    invoices (the invoices read model knows each one's customer)."""
    scope = PaymentAttempt.organization_id == organization_id
    after = await start_position(session, PaymentAttempt, scope, starting_after=starting_after,
                                 missing=not_found("payment attempt", starting_after or "", param="starting_after"))
    query = select(PaymentAttempt).where(scope, PaymentAttempt.status != INVALID)
    if invoice_id:
        query = query.where(PaymentAttempt.invoice_id == invoice_id)
    if status:
        query = query.where(PaymentAttempt.status == status)
    if customer_id:
        of_customer = select(Invoice.id).where(Invoice.organization_id == organization_id,
                                               Invoice.customer["id"].as_string() == customer_id)
        query = query.where(PaymentAttempt.invoice_id.in_(of_customer))
    return await keyset_page(session, query, PaymentAttempt, limit=limit, after=after)


async def customers_of(session: AsyncSession, organization_id: str, invoice_ids: set[str]) -> dict[str, str | None]:
    if not invoice_ids:
        return {}
    rows = await session.execute(select(Invoice.id, Invoice.customer).where(
        Invoice.organization_id == organization_id, Invoice.id.in_(invoice_ids)))
    return {row[0]: (row[1] or {}).get("id") for row in rows}
