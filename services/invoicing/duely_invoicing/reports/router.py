"""Public API: /v1/reports/receivables — the figures behind the dashboard home's receivables charts."""

from __future__ import annotations

from datetime import date, datetime, timezone

from fastapi import APIRouter, Query

from duely_invoicing.reports import service
from duely_invoicing.reports.schemas import ReceivablesReport
from duely_invoicing.responses import ERRORS
from duely_runtime.kit.deps import Caller, DbSession


def router() -> APIRouter:
    api = APIRouter(prefix="/v1", responses=ERRORS)

    @api.get("/reports/receivables", response_model=ReceivablesReport, response_model_by_alias=True,
             tags=["reports"])
    async def receivables_report(session: DbSession, principal: Caller, as_of: date | None = Query(
            None, description="YYYY-MM-DD; default today (UTC).", examples=["2030-01-31"])):
        day = as_of or datetime.now(timezone.utc).date()
        return await service.receivables(session, principal.organization_id, day)

    return api
