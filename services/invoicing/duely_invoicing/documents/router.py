"""GET /v1/invoices/{id}/pdf and /v1/invoices/{id}/facturx.xml, scoped to the caller's organization."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from duely_invoicing.documents import service
from duely_runtime.kit.deps import Caller
from duely_runtime.service import ServiceRuntime

ERRORS = {
    401: {"description": "Missing or invalid API key"},
    404: {"description": "No such invoice in this organization"},
}
PDF_RESPONSE = {200: {"description": "The invoice as PDF/A-3b, with its Factur-X XML embedded when it is issued and "
                                     "has what EN 16931 requires (see facturx.xml's 409)",
                      "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
                304: {"description": "Not modified (If-None-Match matched the ETag)"}}
XML_RESPONSE = {200: {"description": "EN 16931 Factur-X (CII, profile EN16931) XML of the invoice",
                      "content": {"application/xml": {"schema": {"type": "string"}}}},
                409: {"description": "The invoice is a draft (no number, no e-invoice yet: `invoice_not_issued`), "
                                      "or lacks what EN 16931 requires (`einvoice_incomplete`, `param` names "
                                      "the setting: settings.address, settings.tax_id, customer.billing_address)"}}


def router(runtime: ServiceRuntime) -> APIRouter:
    api = APIRouter(prefix="/v1", responses=ERRORS, tags=["invoices"])

    # No request-wide session here: rendering happens between two short transactions (see service.py).
    @api.get("/invoices/{invoice_id}/pdf", response_class=Response, responses=PDF_RESPONSE,
             operation_id="get_invoice_pdf", summary="The invoice PDF (rendered once per invoice version)")
    async def invoice_pdf(invoice_id: str, request: Request, principal: Caller):
        document = await service.invoice_pdf(runtime.db, principal.organization_id, invoice_id)
        etag = f'"{document.sha256}"'
        headers = {"ETag": etag, "Cache-Control": "private, no-cache",
                   "Content-Disposition": f'inline; filename="{document.filename}"'}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(document.content, media_type="application/pdf", headers=headers)

    @api.get("/invoices/{invoice_id}/facturx.xml", response_class=Response, responses=XML_RESPONSE,
             operation_id="get_invoice_facturx_xml", summary="The invoice's Factur-X / ZUGFeRD XML (EN 16931)")
    async def invoice_facturx_xml(invoice_id: str, principal: Caller):
        xml, name = await service.invoice_facturx_xml(runtime.db, principal.organization_id, invoice_id)
        return Response(xml, media_type="application/xml",
                        headers={"Content-Disposition": f'inline; filename="{name}"'})

    return api
