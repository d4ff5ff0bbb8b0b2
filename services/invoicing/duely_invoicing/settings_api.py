"""Public API for invoice settings: the organization's settings, customer updates (overrides included),
and the resolved settings of an invoice with where each value came from."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from duely_runtime.auth import Principal
from duely_runtime.outbound import OutboundGuard
from duely_runtime.service import ServiceRuntime
from duely_invoicing import schemas, service, settings_schemas as ss, settings_service, settings_views, views
from duely_invoicing.api import ERRORS
from duely_invoicing.logos.fetch import fetch_logo
from duely_invoicing.settings import Settings


def router(runtime: ServiceRuntime, settings: Settings) -> APIRouter:
    api = APIRouter(prefix="/v1", responses=ERRORS)
    Session = Depends(runtime.session, scope="function")  # commit before responding, as in api.py
    Caller = Depends(runtime.authenticate)
    guard = OutboundGuard.from_settings(settings)

    async def settings_body(session: AsyncSession, organization_id: str, row, organization) -> ss.InvoiceSettingsOut:
        effective = settings_service.effective_settings(row, organization)
        example = await settings_service.next_number_example(session, organization_id, effective)
        return settings_views.settings_out(row, organization_id, effective, example)

    @api.get("/settings/invoicing", response_model=ss.InvoiceSettingsOut, tags=["settings"])
    async def get_invoice_settings(session: AsyncSession = Session, principal: Principal = Caller):
        """The organization's invoice settings, built-in defaults filled in (`defaults` lists those)."""
        row, organization = await settings_service.get_settings(session, principal.organization_id)
        return await settings_body(session, principal.organization_id, row, organization)

    @api.patch("/settings/invoicing", response_model=ss.InvoiceSettingsOut, tags=["settings"])
    async def update_invoice_settings(body: ss.InvoiceSettingsPatch, session: AsyncSession = Session,
                                      principal: Principal = Caller):
        """Partial update: absent fields are unchanged, `null` resets a field to its built-in default.
        Objects (address, bank_details) are replaced whole. A `logo_url` is fetched now, once (an image
        of at most `DUELY_INVOICING_LOGO_MAX_BYTES`), and PDFs are drawn from the stored bytes."""
        logo = None
        if body.logo_url is not None:  # before any SQL: no row is locked while the network answers
            logo = await fetch_logo(guard, body.logo_url, max_bytes=settings.logo_max_bytes,
                                    deadline_s=settings.logo_fetch_deadline_s)
        row, organization = await settings_service.update_settings(session, principal.organization_id, body,
                                                                   logo=logo)
        return await settings_body(session, principal.organization_id, row, organization)

    @api.get("/settings/invoicing/resolved", response_model=ss.ResolvedSettingsOut, tags=["settings"])
    async def resolved_settings(customer_id: str = Query(..., max_length=40),
                                subscription_id: str | None = Query(None, max_length=40),
                                session: AsyncSession = Session, principal: Principal = Caller):
        """What an invoice for this customer (under this subscription) would get now, and from which level."""
        resolved, customer, subscription = await settings_service.preview(
            session, principal.organization_id, customer_id, subscription_id)
        return settings_views.resolved_out(settings_service.resolved_json(resolved), customer_id=customer.id,
                                           subscription_id=subscription.id if subscription else None)

    @api.patch("/customers/{customer_id}", response_model=schemas.CustomerOut, tags=["customers"])
    async def update_customer(customer_id: str, body: ss.CustomerPatch, session: AsyncSession = Session,
                              principal: Principal = Caller):
        """Partial update; `null` on an override means "inherit from the organization". Publishes
        `customer.updated` when something changed."""
        customer = await settings_service.update_customer(session, runtime.outbox, principal.organization_id,
                                                          customer_id, body)
        return views.customer_out(customer)

    @api.get("/invoices/{invoice_id}/settings", response_model=ss.ResolvedSettingsOut, tags=["invoices"])
    async def invoice_settings(invoice_id: str, session: AsyncSession = Session, principal: Principal = Caller):
        """The settings this invoice was given (taken at creation, delivery and branding retaken at approval)."""
        invoice = await service.get_invoice(session, principal.organization_id, invoice_id)
        fallback = None
        if invoice.resolved_settings is None:  # an invoice from before settings existed: today's resolution
            resolved, _, _ = await settings_service.preview(session, principal.organization_id,
                                                            invoice.customer_id, None)
            fallback = settings_service.resolved_json(resolved)
        stored = settings_service.invoice_settings_view(invoice, fallback)
        return settings_views.resolved_out(stored, customer_id=invoice.customer_id,
                                           subscription_id=invoice.subscription_id, invoice_id=invoice.id)

    return api
