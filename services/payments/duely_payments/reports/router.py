"""Public API: /v1/reports/collected (the home's collected-per-week chart) and /v1/payment_attempts (the log of
payment attempts with the gateway's errors, across invoices)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query

from duely_payments.reports import service
from duely_payments.reports.schemas import CollectedReport, PaymentAttemptLog
from duely_runtime.kit.deps import Caller, DbSession


def router() -> APIRouter:
    api = APIRouter(prefix="/v1")

    @api.get("/reports/collected", response_model=CollectedReport, tags=["reports"])
    async def collected_report(session: DbSession, caller: Caller,
                               weeks: int = Query(12, ge=1, le=104, description="How many weeks, 1 to 104.")):
        return await service.collected(session, caller.organization_id, weeks)

    @api.get("/payment_attempts", response_model=PaymentAttemptLog, tags=["payments"])
    async def list_payment_attempts(session: DbSession, caller: Caller, customer_id: str | None = None,
                                    invoice_id: str | None = None,
                                    status: Literal["processing", "succeeded", "failed"] | None = None,
                                    limit: int = Query(20, ge=1, le=100), starting_after: str | None = None):
        return await service.attempts_log(session, caller.organization_id, customer_id=customer_id,
                                          invoice_id=invoice_id, status=status, limit=limit,
                                          starting_after=starting_after)

    return api
