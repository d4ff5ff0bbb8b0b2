"""Public API: /v1/tax_rates (reusable tax rates) and /v1/exchange_rates (manual rates for reporting totals)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from duely_runtime.auth import Principal
from duely_runtime.service import ServiceRuntime
from duely_invoicing import fx_service, tax_rates_service
from duely_invoicing.api import ERRORS
from duely_invoicing.pricing_schemas import (
    Currency, ExchangeRateCreate, ExchangeRateList, ExchangeRateOut, TaxRateCreate, TaxRateList, TaxRateObject,
    TaxRateUpdate,
)


def router(runtime: ServiceRuntime) -> APIRouter:
    api = APIRouter(prefix="/v1", responses=ERRORS)
    Session = Depends(runtime.session, scope="function")  # commit before responding
    Caller = Depends(runtime.authenticate)

    @api.post("/tax_rates", status_code=201, response_model=TaxRateObject, tags=["tax_rates"])
    async def create_tax_rate(body: TaxRateCreate, session: AsyncSession = Session, principal: Principal = Caller):
        rate = await tax_rates_service.create_tax_rate(session, principal.organization_id, body)
        return tax_rates_service.tax_rate_out(rate)

    @api.get("/tax_rates", response_model=TaxRateList, tags=["tax_rates"])
    async def list_tax_rates(limit: int = Query(10, ge=1, le=100), active: bool | None = None,
                             cursor: str | None = None,
                             starting_after: str | None = Query(None, include_in_schema=False),
                             session: AsyncSession = Session, principal: Principal = Caller):
        page = await tax_rates_service.list_tax_rates(session, principal.organization_id, limit=limit, active=active,
                                                      cursor=cursor, starting_after=starting_after)
        return TaxRateList(data=[tax_rates_service.tax_rate_out(r) for r in page.rows], has_more=page.has_more,
                           next_cursor=page.next_cursor)

    @api.get("/tax_rates/{tax_rate_id}", response_model=TaxRateObject, tags=["tax_rates"])
    async def get_tax_rate(tax_rate_id: str, session: AsyncSession = Session, principal: Principal = Caller):
        return tax_rates_service.tax_rate_out(
            await tax_rates_service.get_tax_rate(session, principal.organization_id, tax_rate_id))

    async def update_tax_rate(tax_rate_id: str, body: TaxRateUpdate, session: AsyncSession = Session,
                              principal: Principal = Caller):
        return tax_rates_service.tax_rate_out(
            await tax_rates_service.update_tax_rate(session, principal.organization_id, tax_rate_id, body))

    # POST (Stripe's way, honours Idempotency-Key) and PATCH both update.
    api.add_api_route("/tax_rates/{tax_rate_id}", update_tax_rate, methods=["POST"], response_model=TaxRateObject,
                      tags=["tax_rates"], summary="Update a tax rate (POST)", operation_id="update_tax_rate_post")
    api.add_api_route("/tax_rates/{tax_rate_id}", update_tax_rate, methods=["PATCH"], response_model=TaxRateObject,
                      tags=["tax_rates"], summary="Update a tax rate (PATCH)", operation_id="update_tax_rate_patch")

    @api.post("/exchange_rates", status_code=201, response_model=ExchangeRateOut, tags=["exchange_rates"])
    async def create_exchange_rate(body: ExchangeRateCreate, session: AsyncSession = Session,
                                   principal: Principal = Caller):
        return fx_service.exchange_rate_out(
            await fx_service.create_exchange_rate(session, principal.organization_id, body))

    @api.get("/exchange_rates", response_model=ExchangeRateList, tags=["exchange_rates"])
    async def list_exchange_rates(limit: int = Query(10, ge=1, le=100), base: Currency | None = None,
                                  quote: Currency | None = None, cursor: str | None = None,
                                  starting_after: str | None = Query(None, include_in_schema=False),
                                  session: AsyncSession = Session,
                                  principal: Principal = Caller):
        page = await fx_service.list_exchange_rates(session, principal.organization_id, limit=limit, base=base,
                                                    quote=quote, cursor=cursor, starting_after=starting_after)
        return ExchangeRateList(data=[fx_service.exchange_rate_out(r) for r in page.rows], has_more=page.has_more,
                                next_cursor=page.next_cursor)

    return api
