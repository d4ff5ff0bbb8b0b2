"""Public API: /v1/tax_rates — reusable tax rates (state + city, VAT...) that lines refer to by id."""

from __future__ import annotations

from fastapi import APIRouter, Query

from duely_invoicing.responses import ERRORS
from duely_invoicing.tax_rates import service
from duely_invoicing.tax_rates.schemas import TaxRateCreate, TaxRateList, TaxRateObject, TaxRateUpdate
from duely_runtime.kit.deps import Caller, DbSession


def router() -> APIRouter:
    api = APIRouter(prefix="/v1", responses=ERRORS)

    @api.post("/tax_rates", status_code=201, response_model=TaxRateObject, tags=["tax_rates"])
    async def create_tax_rate(body: TaxRateCreate, session: DbSession, principal: Caller):
        return service.tax_rate_out(await service.create_tax_rate(session, principal.organization_id, body))

    @api.get("/tax_rates", response_model=TaxRateList, tags=["tax_rates"])
    async def list_tax_rates(session: DbSession, principal: Caller, limit: int = Query(10, ge=1, le=100),
                             active: bool | None = None, cursor: str | None = None,
                             starting_after: str | None = Query(None, include_in_schema=False)):
        page = await service.list_tax_rates(session, principal.organization_id, limit=limit, active=active,
                                            cursor=cursor, starting_after=starting_after)
        return TaxRateList(data=[service.tax_rate_out(r) for r in page.rows], has_more=page.has_more,
                           next_cursor=page.next_cursor)

    @api.get("/tax_rates/{tax_rate_id}", response_model=TaxRateObject, tags=["tax_rates"])
    async def get_tax_rate(tax_rate_id: str, session: DbSession, principal: Caller):
        return service.tax_rate_out(await service.get_tax_rate(session, principal.organization_id, tax_rate_id))

    async def update_tax_rate(tax_rate_id: str, body: TaxRateUpdate, session: DbSession, principal: Caller):
        return service.tax_rate_out(
            await service.update_tax_rate(session, principal.organization_id, tax_rate_id, body))

    # POST (Stripe's way, honours Idempotency-Key) and PATCH both update.
    for method in ("POST", "PATCH"):
        api.add_api_route("/tax_rates/{tax_rate_id}", update_tax_rate, methods=[method], response_model=TaxRateObject,
                          tags=["tax_rates"], summary=f"Update a tax rate ({method})",
                          operation_id=f"update_tax_rate_{method.lower()}")

    return api
