"""Public API: /v1/invoices — create, read, list (also per customer), edit drafts, approve, void, write off;
an invoice's settings.

(Its PDF and Factur-X XML are the documents resource: documents/router.py.)
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from duely_invoicing import schema_docs
from duely_invoicing.config import Settings
from duely_invoicing.customers import service as customers
from duely_invoicing.invoices import drafts, listing, service, views
from duely_invoicing.invoices.schemas import (
    InvoiceCreate,
    InvoiceDeleted,
    InvoiceList,
    InvoiceOut,
    InvoiceUpdate,
    LineIn,
    LineUpdate,
    Status,
)
from duely_invoicing.invoices.settings import settings_of_invoice
from duely_invoicing.responses import ERRORS
from duely_invoicing.settings import views as settings_views
from duely_invoicing.settings.schemas import ResolvedSettingsOut
from duely_runtime.kit.deps import Caller, DbSession
from duely_runtime.service import ServiceRuntime


def date_filters(
    created_gte_b: str | None = Query(None, alias="created[gte]", description=listing.INSTANT, include_in_schema=False),
    created_gte: str | None = Query(None, description=listing.INSTANT, json_schema_extra=schema_docs.INSTANT),
    created_lte_b: str | None = Query(None, alias="created[lte]", description=listing.INSTANT, include_in_schema=False),
    created_lte: str | None = Query(None, description=listing.INSTANT, json_schema_extra=schema_docs.INSTANT),
    due_gte_b: str | None = Query(None, alias="due_date[gte]", description="YYYY-MM-DD", include_in_schema=False),
    due_date_gte: str | None = Query(None, description="YYYY-MM-DD", json_schema_extra=schema_docs.DATE),
    due_lte_b: str | None = Query(None, alias="due_date[lte]", description="YYYY-MM-DD", include_in_schema=False),
    due_date_lte: str | None = Query(None, description="YYYY-MM-DD", json_schema_extra=schema_docs.DATE),
) -> listing.DateFilters:
    """The date filters both invoice lists take; `created[gte]` and `created_gte` are the same filter."""
    return listing.date_filters(created_gte_b, created_gte, created_lte_b, created_lte,
                                due_gte_b, due_date_gte, due_lte_b, due_date_lte)


def router(runtime: ServiceRuntime, settings: Settings) -> APIRouter:
    api = APIRouter(prefix="/v1", responses=ERRORS)

    def out(invoice) -> InvoiceOut:
        return views.invoice_out(invoice, settings.public_base_url)  # with pdf_url

    @api.post("/invoices", status_code=201, response_model=InvoiceOut, tags=["invoices"])
    async def create_invoice(body: InvoiceCreate, session: DbSession, principal: Caller):
        return out(await service.create_invoice(session, principal.organization_id, body))

    @api.get("/invoices/{invoice_id}", response_model=InvoiceOut, tags=["invoices"])
    async def get_invoice(invoice_id: str, session: DbSession, principal: Caller):
        # The body is already an InvoiceOut: serialized once here rather than validated again against
        # response_model (which stays for the OpenAPI schema). The hottest read of the API.
        invoice = await service.invoice_to_show(session, principal.organization_id, invoice_id)
        return Response(out(invoice).model_dump_json(), media_type="application/json")

    @api.get("/invoices", response_model=InvoiceList, tags=["invoices"], summary="List invoices, newest first")
    async def list_invoices(
        session: DbSession, principal: Caller,
        limit: int = Query(10, ge=1, le=listing.MAX_LIMIT),
        customer_id: str | None = None, status: Status | None = None,
        cursor: str | None = Query(None, description="next_cursor of the previous page."),
        starting_after: str | None = Query(None, description="An invoice id: the page after it.",
                                           include_in_schema=False),  # cursor is the documented way
        dates: listing.DateFilters = Depends(date_filters),
    ):
        filters = listing.InvoiceFilters(customer_id=customer_id, status=status, **dates.as_dict())
        page = await service.list_invoices(session, principal.organization_id, filters, limit=limit,
                                           cursor=cursor, starting_after=starting_after)
        return InvoiceList(data=[out(i) for i in page.rows], has_more=page.has_more, next_cursor=page.next_cursor)

    @api.get("/customers/{customer_id}/invoices", response_model=InvoiceList, tags=["invoices", "customers"],
             summary="List a customer's invoices, newest first")
    async def list_customer_invoices(
        customer_id: str, session: DbSession, principal: Caller,
        limit: int = Query(10, ge=1, le=listing.MAX_LIMIT), status: Status | None = None,
        cursor: str | None = None, starting_after: str | None = Query(None, include_in_schema=False),
        dates: listing.DateFilters = Depends(date_filters),
    ):
        customer = await customers.get_customer(session, principal.organization_id, customer_id)  # 404 if foreign
        filters = listing.InvoiceFilters(customer_id=customer.id, status=status, **dates.as_dict())
        page = await service.list_invoices(session, principal.organization_id, filters, limit=limit,
                                            cursor=cursor, starting_after=starting_after)
        return InvoiceList(data=[out(i) for i in page.rows], has_more=page.has_more, next_cursor=page.next_cursor)

    @api.post("/invoices/{invoice_id}/approve", response_model=InvoiceOut, tags=["invoices"])
    async def approve_invoice(invoice_id: str, session: DbSession, principal: Caller):
        return out(await service.approve_invoice(session, runtime.outbox, settings, principal.organization_id,
                                                 invoice_id))

    @api.post("/invoices/{invoice_id}/void", response_model=InvoiceOut, tags=["invoices"])
    async def void_invoice(invoice_id: str, session: DbSession, principal: Caller):
        return out(await service.void_invoice(session, runtime.outbox, principal.organization_id, invoice_id))

    @api.post("/invoices/{invoice_id}/mark_uncollectible", response_model=InvoiceOut, tags=["invoices"])
    async def mark_uncollectible(invoice_id: str, session: DbSession, principal: Caller):
        return out(await service.mark_uncollectible(session, runtime.outbox, principal.organization_id,
                                                    invoice_id))

    # --- drafts: anything but a draft answers 409 invoice_not_editable ----------------

    @api.post("/invoices/{invoice_id}/lines", response_model=InvoiceOut, tags=["invoices"],
              summary="Add a line to a draft")
    async def add_line(invoice_id: str, body: LineIn, session: DbSession, principal: Caller):
        return out(await drafts.add_line(session, principal.organization_id, invoice_id, body))

    async def update_line(invoice_id: str, line_id: str, body: LineUpdate, session: DbSession, principal: Caller):
        return out(await drafts.update_line(session, principal.organization_id, invoice_id, line_id, body))

    # POST (Stripe's way, honours Idempotency-Key) and PATCH both update.
    for method in ("POST", "PATCH"):
        api.add_api_route("/invoices/{invoice_id}/lines/{line_id}", update_line, methods=[method],
                          response_model=InvoiceOut, tags=["invoices"], summary=f"Change a draft's line ({method})",
                          operation_id=f"update_invoice_line_{method.lower()}")

    @api.delete("/invoices/{invoice_id}/lines/{line_id}", response_model=InvoiceOut, tags=["invoices"],
                summary="Remove a line from a draft")
    async def delete_line(invoice_id: str, line_id: str, session: DbSession, principal: Caller):
        return out(await drafts.delete_line(session, principal.organization_id, invoice_id, line_id))

    async def update_invoice(invoice_id: str, body: InvoiceUpdate, session: DbSession, principal: Caller):
        return out(await drafts.update_invoice(session, principal.organization_id, invoice_id, body))

    for method in ("POST", "PATCH"):
        api.add_api_route("/invoices/{invoice_id}", update_invoice, methods=[method], response_model=InvoiceOut,
                          tags=["invoices"], summary=f"Change a draft ({method})",
                          operation_id=f"update_invoice_{method.lower()}")

    @api.delete("/invoices/{invoice_id}", response_model=InvoiceDeleted, tags=["invoices"],
                summary="Delete a draft")
    async def delete_invoice(invoice_id: str, session: DbSession, principal: Caller):
        return InvoiceDeleted(id=await drafts.delete_invoice(session, principal.organization_id, invoice_id))

    @api.get("/invoices/{invoice_id}/settings", response_model=ResolvedSettingsOut, tags=["invoices"])
    async def invoice_settings(invoice_id: str, session: DbSession, principal: Caller):
        """The settings this invoice was given (taken at creation, delivery and branding retaken at approval)."""
        stored = await settings_of_invoice(session, principal.organization_id, invoice_id)
        return settings_views.resolved_out(stored.values, customer_id=stored.invoice.customer_id,
                                           subscription_id=stored.invoice.subscription_id,
                                           invoice_id=stored.invoice.id)

    return api
