"""Public API: /v1/customers and /v1/invoices, every query scoped to the caller's organization."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from duely_runtime.auth import Principal
from duely_runtime.service import ServiceRuntime
from duely_invoicing import repository, schemas, service, views
from duely_invoicing.settings import Settings

ERRORS = {
    400: {"description": "Invalid request (error shape with `param`)"},
    401: {"description": "Missing or invalid API key"},
    404: {"description": "No such object in this organization"},
    409: {"description": "Illegal status transition, or (void, mark_uncollectible) `invoice_payment_in_progress`: "
                         "a charge holds the invoice until its outcome is known"},
}


def router(runtime: ServiceRuntime, settings: Settings) -> APIRouter:
    api = APIRouter(prefix="/v1", responses=ERRORS)
    # scope="function": commit before the response is sent, so a 2xx means the write is durable
    # (the default "request" scope commits after the client already has its answer).
    Session = Depends(runtime.session, scope="function")
    Caller = Depends(runtime.authenticate)

    def invoice_out(invoice):
        return views.invoice_out(invoice, settings.public_base_url)  # with pdf_url

    # --- customers ------------------------------------------------------------------

    @api.post("/customers", status_code=201, response_model=schemas.CustomerOut, tags=["customers"])
    async def create_customer(body: schemas.CustomerCreate, session: AsyncSession = Session,
                              principal: Principal = Caller):
        customer = await service.create_customer(session, runtime.outbox, principal.organization_id, body)
        return views.customer_out(customer)

    @api.get("/customers/{customer_id}", response_model=schemas.CustomerOut, tags=["customers"])
    async def get_customer(customer_id: str, session: AsyncSession = Session, principal: Principal = Caller):
        return views.customer_out(await service.get_customer(session, principal.organization_id, customer_id))

    @api.get("/customers", response_model=schemas.CustomerList, tags=["customers"])
    async def list_customers(limit: int = Query(10, ge=1, le=100), session: AsyncSession = Session,
                             principal: Principal = Caller):
        rows = await repository.list_customers(session, principal.organization_id, limit + 1)
        return schemas.CustomerList(data=[views.customer_out(c) for c in rows[:limit]], has_more=len(rows) > limit)

    # --- invoices -------------------------------------------------------------------

    @api.post("/invoices", status_code=201, response_model=schemas.InvoiceOut, tags=["invoices"])
    async def create_invoice(body: schemas.InvoiceCreate, session: AsyncSession = Session,
                             principal: Principal = Caller):
        return invoice_out(await service.create_invoice(session, principal.organization_id, body))

    @api.get("/invoices/{invoice_id}", response_model=schemas.InvoiceOut, tags=["invoices"])
    async def get_invoice(invoice_id: str, session: AsyncSession = Session, principal: Principal = Caller):
        return invoice_out(await service.get_invoice(session, principal.organization_id, invoice_id))

    # GET /invoices (filters, cursor pagination) lives in listing_api.py.

    @api.post("/invoices/{invoice_id}/approve", response_model=schemas.InvoiceOut, tags=["invoices"])
    async def approve_invoice(invoice_id: str, session: AsyncSession = Session, principal: Principal = Caller):
        invoice = await service.approve_invoice(session, runtime.outbox, settings, principal.organization_id,
                                                invoice_id)
        return invoice_out(invoice)

    @api.post("/invoices/{invoice_id}/void", response_model=schemas.InvoiceOut, tags=["invoices"])
    async def void_invoice(invoice_id: str, session: AsyncSession = Session, principal: Principal = Caller):
        return invoice_out(await service.void_invoice(session, runtime.outbox, principal.organization_id,
                                                            invoice_id))

    @api.post("/invoices/{invoice_id}/mark_uncollectible", response_model=schemas.InvoiceOut, tags=["invoices"])
    async def mark_uncollectible(invoice_id: str, session: AsyncSession = Session, principal: Principal = Caller):
        return invoice_out(await service.mark_uncollectible(session, runtime.outbox,
                                                                  principal.organization_id, invoice_id))

    return api
