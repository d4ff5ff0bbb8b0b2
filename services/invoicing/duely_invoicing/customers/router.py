"""Public API: /v1/customers — create, read, list, update (overrides included).

(A customer's invoices, GET /v1/customers/{id}/invoices, are listed by invoices/router.py.)
"""

from __future__ import annotations

from fastapi import APIRouter, Query

from duely_invoicing.config import Settings
from duely_invoicing.customers import service, views
from duely_invoicing.customers.schemas import CustomerCreate, CustomerList, CustomerOut, CustomerPatch
from duely_invoicing.responses import ERRORS
from duely_runtime.kit.deps import Caller, DbSession
from duely_runtime.service import ServiceRuntime


def router(runtime: ServiceRuntime, settings: Settings) -> APIRouter:
    api = APIRouter(prefix="/v1", responses=ERRORS)

    @api.post("/customers", status_code=201, response_model=CustomerOut, tags=["customers"])
    async def create_customer(body: CustomerCreate, session: DbSession, principal: Caller):
        customer = await service.create_customer(session, runtime.outbox, principal.organization_id, body)
        return views.customer_out(customer)

    @api.get("/customers/{customer_id}", response_model=CustomerOut, tags=["customers"])
    async def get_customer(customer_id: str, session: DbSession, principal: Caller):
        customer = await service.get_customer(session, principal.organization_id, customer_id)
        return views.customer_out(customer, await service.credit_balance(session, principal.organization_id,
                                                                         customer.id))

    @api.get("/customers", response_model=CustomerList, tags=["customers"])
    async def list_customers(session: DbSession, principal: Caller, limit: int = Query(10, ge=1, le=100)):
        page = await service.list_customers(session, principal.organization_id, limit)
        credit = await service.credit_balances(session, principal.organization_id, [c.id for c in page.rows])
        return CustomerList(data=[views.customer_out(c, credit.get(c.id) or None) for c in page.rows],
                            has_more=page.has_more)

    @api.patch("/customers/{customer_id}", response_model=CustomerOut, tags=["customers"])
    async def update_customer(customer_id: str, body: CustomerPatch, session: DbSession, principal: Caller):
        """Partial update; `null` on an override means "inherit from the organization". Publishes
        `customer.updated` when something changed."""
        customer = await service.update_customer(session, runtime.outbox, principal.organization_id,
                                                 customer_id, body)
        return views.customer_out(customer, await service.credit_balance(session, principal.organization_id,
                                                                         customer.id))

    return api
