"""Public API for editing drafts: lines added, changed, removed; the invoice changed or deleted.

Anything but a draft answers 409 invoice_not_editable.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession

from duely_runtime.auth import Principal
from duely_runtime.service import ServiceRuntime
from duely_invoicing import drafts_service, schemas, views
from duely_invoicing.api import ERRORS
from duely_invoicing.drafts_schemas import InvoiceDeleted, InvoiceUpdate, LineUpdate
from duely_invoicing.settings import Settings


def router(runtime: ServiceRuntime, settings: Settings) -> APIRouter:
    api = APIRouter(prefix="/v1", responses=ERRORS, tags=["invoices"])
    Session = Depends(runtime.session, scope="function")  # commit before responding
    Caller = Depends(runtime.authenticate)

    def out(invoice) -> schemas.InvoiceOut:
        return views.invoice_out(invoice, settings.public_base_url)

    @api.post("/invoices/{invoice_id}/lines", response_model=schemas.InvoiceOut, summary="Add a line to a draft")
    async def add_line(invoice_id: str, body: schemas.LineIn, session: AsyncSession = Session,
                       principal: Principal = Caller):
        return out(await drafts_service.add_line(session, principal.organization_id, invoice_id, body))

    async def update_line(invoice_id: str, line_id: str, body: LineUpdate, session: AsyncSession = Session,
                          principal: Principal = Caller):
        return out(await drafts_service.update_line(session, principal.organization_id, invoice_id, line_id, body))

    api.add_api_route("/invoices/{invoice_id}/lines/{line_id}", update_line, methods=["POST"],
                      response_model=schemas.InvoiceOut, summary="Change a draft's line (POST)",
                      operation_id="update_invoice_line_post")
    api.add_api_route("/invoices/{invoice_id}/lines/{line_id}", update_line, methods=["PATCH"],
                      response_model=schemas.InvoiceOut, summary="Change a draft's line (PATCH)",
                      operation_id="update_invoice_line_patch")

    @api.delete("/invoices/{invoice_id}/lines/{line_id}", response_model=schemas.InvoiceOut,
                summary="Remove a line from a draft")
    async def delete_line(invoice_id: str, line_id: str, session: AsyncSession = Session,
                          principal: Principal = Caller):
        return out(await drafts_service.delete_line(session, principal.organization_id, invoice_id, line_id))

    async def update_invoice(invoice_id: str, body: InvoiceUpdate, session: AsyncSession = Session,
                             principal: Principal = Caller):
        return out(await drafts_service.update_invoice(session, principal.organization_id, invoice_id, body))

    api.add_api_route("/invoices/{invoice_id}", update_invoice, methods=["POST"], response_model=schemas.InvoiceOut,
                      summary="Change a draft (POST)", operation_id="update_invoice_post")
    api.add_api_route("/invoices/{invoice_id}", update_invoice, methods=["PATCH"], response_model=schemas.InvoiceOut,
                      summary="Change a draft (PATCH)", operation_id="update_invoice_patch")

    @api.delete("/invoices/{invoice_id}", response_model=InvoiceDeleted, summary="Delete a draft")
    async def delete_invoice(invoice_id: str, session: AsyncSession = Session, principal: Principal = Caller):
        return InvoiceDeleted(id=await drafts_service.delete_invoice(session, principal.organization_id,
                                                                     invoice_id))

    return api
