"""Public API: /v1/reports/dunning_outcomes — what became of the invoices dunning chased (the home's chart).

The cohort: the organization's invoices whose dunning started (CollectionState.dunning_started_at: the first
failed AutoPay charge, or the due date passing unpaid — collection_actions.start_dunning) within the last `days`
days of the organization's clock (test clocks included). Each is counted by its status now:

- in_progress: still open or past due;
- recovered: an invoice whose dunning schedule was running and that was then paid (status paid). Being in the
  cohort means dunning had started, and a paid invoice is closed, so it was paid after the start;
- uncollectible: marked uncollectible (by the schedule's last step or by hand);
- sent_to_collections: the schedule's send-to-collections step ran (sent_to_collections_at set). This one
  overlaps the others: such an invoice is also counted by its status.
Voided invoices are in no bucket.

amounts, per currency in integer minor units: `recovered` = the sum of the payments counted on the recovered
invoices (dunning's `invoice.payment_succeeded` facts in collection_events; a partial payment made before
dunning started is included); `uncollectible` = the balance (amount_due) the uncollectible invoices were
written off with. Aggregates are computed by the database (GROUP BY), bounded by the index
ix_collection_states_org_dunning_started (organization_id, dunning_started_at).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from duely_dunning.models import CollectionEvent, CollectionState
from duely_dunning.org_clocks import Clock
from duely_runtime.kit.deps import Caller, DbSession

PAYMENT_FACT = "invoice.payment_succeeded"  # the collection_events type of a payment counted on the invoice


class Outcomes(BaseModel):
    in_progress: int = 0
    recovered: int = 0
    uncollectible: int = 0
    sent_to_collections: int = 0


class OutcomeAmounts(BaseModel):
    currency: str
    recovered: int = 0
    uncollectible: int = 0


class DunningOutcomesReport(BaseModel):
    object: Literal["dunning_outcomes_report"] = "dunning_outcomes_report"
    days: int
    outcomes: Outcomes
    amounts: list[OutcomeAmounts]


_STATUS_OUTCOME = {"open": "in_progress", "past_due": "in_progress", "paid": "recovered",
                   "uncollectible": "uncollectible"}


async def dunning_outcomes(session: AsyncSession, organization_id: str, days: int, clock: Clock) -> DunningOutcomesReport:
    since = await clock.now_for(session, organization_id) - timedelta(days=days)
    cohort = and_(CollectionState.organization_id == organization_id, CollectionState.dunning_started_at >= since)
    outcomes = Outcomes()
    amounts: dict[str, OutcomeAmounts] = {}
    by_status = await session.execute(
        select(CollectionState.status, CollectionState.currency, func.count(),
               func.coalesce(func.sum(CollectionState.amount_due), 0))
        .where(cohort).group_by(CollectionState.status, CollectionState.currency))
    for status, currency, count, amount_due in by_status.all():
        outcome = _STATUS_OUTCOME.get(status)
        if outcome is None:
            continue
        setattr(outcomes, outcome, getattr(outcomes, outcome) + int(count))
        if outcome == "uncollectible":
            amounts.setdefault(currency, OutcomeAmounts(currency=currency)).uncollectible += int(amount_due)
    outcomes.sent_to_collections = int(await session.scalar(
        select(func.count()).where(cohort, CollectionState.sent_to_collections_at.is_not(None))) or 0)
    paid = CollectionEvent.detail["amount"].as_integer()
    recovered = await session.execute(
        select(CollectionState.currency, func.coalesce(func.sum(paid), 0))
        .join(CollectionEvent, CollectionEvent.invoice_id == CollectionState.invoice_id)
        .where(cohort, CollectionState.status == "paid", CollectionEvent.type == PAYMENT_FACT,
               CollectionEvent.organization_id == organization_id)
        .group_by(CollectionState.currency))
    for currency, amount in recovered.all():
        amounts.setdefault(currency, OutcomeAmounts(currency=currency)).recovered += int(amount)
    return DunningOutcomesReport(days=days, outcomes=outcomes, amounts=[amounts[c] for c in sorted(amounts)])


def router(clock: Clock) -> APIRouter:
    api = APIRouter(prefix="/v1")

    @api.get("/reports/dunning_outcomes", response_model=DunningOutcomesReport, tags=["reports"])
    async def dunning_outcomes_report(session: DbSession, caller: Caller,
                                      days: int = Query(90, ge=1, le=366, description="Look back, 1 to 366 days.")):
        return await dunning_outcomes(session, caller.organization_id, days, clock)

    return api
