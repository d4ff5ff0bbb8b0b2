"""Public API: /v1/settings/invoicing — the organization's invoice settings, and what a new invoice would get."""

from __future__ import annotations

from fastapi import APIRouter, Query

from duely_invoicing.config import Settings
from duely_invoicing.logos.fetch import fetch_logo
from duely_invoicing.responses import ERRORS
from duely_invoicing.settings import resolution, service, views
from duely_invoicing.settings.schemas import InvoiceSettingsOut, InvoiceSettingsPatch, ResolvedSettingsOut
from duely_runtime.kit.deps import Caller, DbSession
from duely_runtime.outbound import OutboundGuard
from duely_runtime.service import ServiceRuntime


def router(runtime: ServiceRuntime, settings: Settings) -> APIRouter:
    api = APIRouter(prefix="/v1", responses=ERRORS)
    guard = OutboundGuard.from_settings(settings)

    @api.get("/settings/invoicing", response_model=InvoiceSettingsOut, tags=["settings"])
    async def get_invoice_settings(session: DbSession, principal: Caller):
        """The organization's invoice settings, built-in defaults filled in (`defaults` lists those)."""
        row, organization = await service.get_settings(session, principal.organization_id)
        return await service.settings_body(session, principal.organization_id, row, organization)

    @api.patch("/settings/invoicing", response_model=InvoiceSettingsOut, tags=["settings"])
    async def update_invoice_settings(body: InvoiceSettingsPatch, session: DbSession, principal: Caller):
        """Partial update: absent fields are unchanged, `null` resets a field to its built-in default.
        Objects (address, bank_details) are replaced whole. A `logo_url` is fetched now, once (an image
        of at most `DUELY_INVOICING_LOGO_MAX_BYTES`), and PDFs are drawn from the stored bytes."""
        logo = None
        if body.logo_url is not None:  # before any SQL: no row is locked while the network answers
            logo = await fetch_logo(guard, body.logo_url, max_bytes=settings.logo_max_bytes,
                                    deadline_s=settings.logo_fetch_deadline_s)
        row, organization = await service.update_settings(session, principal.organization_id, body, logo=logo)
        return await service.settings_body(session, principal.organization_id, row, organization)

    @api.get("/settings/invoicing/resolved", response_model=ResolvedSettingsOut, tags=["settings"])
    async def resolved_settings(session: DbSession, principal: Caller,
                                customer_id: str = Query(..., max_length=40),
                                subscription_id: str | None = Query(None, max_length=40)):
        """What an invoice for this customer (under this subscription) would get now, and from which level."""
        resolved, customer, subscription = await resolution.preview(
            session, principal.organization_id, customer_id, subscription_id)
        return views.resolved_out(service.resolved_json(resolved), customer_id=customer.id,
                                  subscription_id=subscription.id if subscription else None)

    return api
