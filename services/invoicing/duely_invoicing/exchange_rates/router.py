"""Public API: /v1/exchange_rates — manual rates that fix an invoice's reporting-currency total at approval."""

from __future__ import annotations

from fastapi import APIRouter, Query

from duely_invoicing.exchange_rates import service
from duely_invoicing.exchange_rates.schemas import ExchangeRateCreate, ExchangeRateList, ExchangeRateOut
from duely_invoicing.request_types import Currency
from duely_invoicing.responses import ERRORS
from duely_runtime.kit.deps import Caller, DbSession


def router() -> APIRouter:
    api = APIRouter(prefix="/v1", responses=ERRORS)

    @api.post("/exchange_rates", status_code=201, response_model=ExchangeRateOut, tags=["exchange_rates"])
    async def create_exchange_rate(body: ExchangeRateCreate, session: DbSession, principal: Caller):
        return service.exchange_rate_out(await service.create_exchange_rate(session, principal.organization_id, body))

    @api.get("/exchange_rates", response_model=ExchangeRateList, tags=["exchange_rates"])
    async def list_exchange_rates(session: DbSession, principal: Caller, limit: int = Query(10, ge=1, le=100),
                                  base: Currency | None = None, quote: Currency | None = None,
                                  cursor: str | None = None,
                                  starting_after: str | None = Query(None, include_in_schema=False)):
        page = await service.list_exchange_rates(session, principal.organization_id, limit=limit, base=base,
                                                 quote=quote, cursor=cursor, starting_after=starting_after)
        return ExchangeRateList(data=[service.exchange_rate_out(r) for r in page.rows], has_more=page.has_more,
                                next_cursor=page.next_cursor)

    return api
