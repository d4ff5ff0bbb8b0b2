"""Public API: GET /v1/invoices and GET /v1/customers/{id}/invoices, filtered and cursor-paginated
(listing.py), newest first."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from duely_runtime.auth import Principal
from duely_runtime.service import ServiceRuntime
from duely_invoicing import listing, schema_docs, schemas, service, views
from duely_invoicing.api import ERRORS
from duely_invoicing.models import Invoice
from duely_invoicing.settings import Settings

INSTANT = "ISO 8601 datetime (naive = UTC), date, or unix seconds."


def router(runtime: ServiceRuntime, settings: Settings) -> APIRouter:
    api = APIRouter(prefix="/v1", responses=ERRORS, tags=["invoices"])
    Session = Depends(runtime.session, scope="function")
    Caller = Depends(runtime.authenticate)

    async def page_of_invoices(session: AsyncSession, organization_id: str, filters: listing.InvoiceFilters,
                               limit: int, cursor: str | None, starting_after: str | None) -> schemas.InvoiceList:
        after = await listing.start_position(session, Invoice, organization_id, cursor, starting_after)
        page = await listing.keyset_page(session, listing.invoice_query(organization_id, filters), Invoice,
                                         limit=limit, after=after)
        return schemas.InvoiceList(data=[views.invoice_out(i, settings.public_base_url) for i in page.rows],
                                   has_more=page.has_more, next_cursor=page.next_cursor)

    def filters_from(customer_id, status, created_gte_b, created_gte, created_lte_b, created_lte, due_gte_b,
                     due_gte, due_lte_b, due_lte) -> listing.InvoiceFilters:
        return listing.InvoiceFilters(
            customer_id=customer_id, status=status,
            created_gte=listing.parse_instant(listing.one_of("created_gte", created_gte_b, created_gte),
                                              "created_gte"),
            created_lte=listing.parse_instant(listing.one_of("created_lte", created_lte_b, created_lte),
                                              "created_lte", upper=True),
            due_date_gte=listing.parse_date(listing.one_of("due_date_gte", due_gte_b, due_gte), "due_date_gte"),
            due_date_lte=listing.parse_date(listing.one_of("due_date_lte", due_lte_b, due_lte), "due_date_lte"))

    @api.get("/invoices", response_model=schemas.InvoiceList, summary="List invoices, newest first")
    async def list_invoices(
        limit: int = Query(10, ge=1, le=listing.MAX_LIMIT),
        customer_id: str | None = None, status: schemas.Status | None = None,
        cursor: str | None = Query(None, description="next_cursor of the previous page."),
        starting_after: str | None = Query(None, description="An invoice id: the page after it.",
                                           include_in_schema=False),  # cursor is the documented way
        created_gte_b: str | None = Query(None, alias="created[gte]", description=INSTANT,
                                    include_in_schema=False),
        created_gte: str | None = Query(None, description=INSTANT,
                                 json_schema_extra=schema_docs.INSTANT),
        created_lte_b: str | None = Query(None, alias="created[lte]", description=INSTANT,
                                    include_in_schema=False),
        created_lte: str | None = Query(None, description=INSTANT,
                                 json_schema_extra=schema_docs.INSTANT),
        due_gte_b: str | None = Query(None, alias="due_date[gte]", description="YYYY-MM-DD",
                                    include_in_schema=False),
        due_date_gte: str | None = Query(None, description="YYYY-MM-DD",
                                 json_schema_extra=schema_docs.DATE),
        due_lte_b: str | None = Query(None, alias="due_date[lte]", description="YYYY-MM-DD",
                                    include_in_schema=False),
        due_date_lte: str | None = Query(None, description="YYYY-MM-DD",
                                 json_schema_extra=schema_docs.DATE),
        session: AsyncSession = Session, principal: Principal = Caller,
    ):
        filters = filters_from(customer_id, status, created_gte_b, created_gte, created_lte_b, created_lte,
                               due_gte_b, due_date_gte, due_lte_b, due_date_lte)
        return await page_of_invoices(session, principal.organization_id, filters, limit, cursor, starting_after)

    @api.get("/customers/{customer_id}/invoices", response_model=schemas.InvoiceList, tags=["customers"],
             summary="List a customer's invoices, newest first")
    async def list_customer_invoices(
        customer_id: str,
        limit: int = Query(10, ge=1, le=listing.MAX_LIMIT), status: schemas.Status | None = None,
        cursor: str | None = None, starting_after: str | None = Query(None, include_in_schema=False),
        created_gte_b: str | None = Query(None, alias="created[gte]", description=INSTANT,
                                    include_in_schema=False),
        created_gte: str | None = Query(None, description=INSTANT,
                                 json_schema_extra=schema_docs.INSTANT),
        created_lte_b: str | None = Query(None, alias="created[lte]", description=INSTANT,
                                    include_in_schema=False),
        created_lte: str | None = Query(None, description=INSTANT,
                                 json_schema_extra=schema_docs.INSTANT),
        due_gte_b: str | None = Query(None, alias="due_date[gte]", description="YYYY-MM-DD",
                                    include_in_schema=False),
        due_date_gte: str | None = Query(None, description="YYYY-MM-DD",
                                 json_schema_extra=schema_docs.DATE),
        due_lte_b: str | None = Query(None, alias="due_date[lte]", description="YYYY-MM-DD",
                                    include_in_schema=False),
        due_date_lte: str | None = Query(None, description="YYYY-MM-DD",
                                 json_schema_extra=schema_docs.DATE),
        session: AsyncSession = Session, principal: Principal = Caller,
    ):
        customer = await service.get_customer(session, principal.organization_id, customer_id)  # 404 if foreign
        filters = filters_from(customer.id, status, created_gte_b, created_gte, created_lte_b, created_lte,
                               due_gte_b, due_date_gte, due_lte_b, due_date_lte)
        return await page_of_invoices(session, principal.organization_id, filters, limit, cursor, starting_after)

    return api
