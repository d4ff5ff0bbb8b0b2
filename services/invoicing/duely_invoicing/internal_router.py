"""Endpoints for Duely's own services only (shared secret header), kept out of the OpenAPI document.

Other services verify API keys here, the CLI/devstack creates organizations,
a service whose read model lags can fetch an invoice snapshot while a
person is waiting, and payments reserves an invoice for the charge it makes.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Query, Response

from duely_contracts.models import CustomerRef, InvoiceSnapshot
from duely_invoicing.customer_portal import service as customer_portal
from duely_invoicing.customer_portal.schemas import (DraftInvoicesOut, PortalAutopayIn, PortalAutopayOut,
                                                     PortalContextOut)
from duely_invoicing.customers import repository as customers_repository
from duely_invoicing.customers.views import customer_ref
from duely_invoicing.config import Settings
from duely_invoicing.documents import service as documents_service
from duely_invoicing.invoices import charge_reservations
from duely_invoicing.invoices import repository as invoices_repository
from duely_invoicing.invoices import service as invoices_service
from duely_invoicing.invoices.schemas import (ChargeReleaseOut, ChargeReservationOut, ChargeReservationRequest,
                                             InvoiceStatesOut, InvoiceStatesRequest)
from duely_invoicing.organizations import service as organizations_service
from duely_invoicing.organizations.schemas import (
    CreateOrganization,
    OrganizationCreated,
    OrganizationOut,
    OwnerOut,
    PrincipalOut,
    VerifyKey,
)
from duely_invoicing.users import router as users_router
from duely_invoicing.users.internal_router import session_rules
from duely_runtime.auth import require_internal
from duely_runtime.errors import ApiError, found
from duely_runtime.idempotency import redact
from duely_runtime.kit.clock import utcnow
from duely_runtime.kit.deps import DbSession
from duely_runtime.service import ServiceRuntime


def router(runtime: ServiceRuntime, settings: Settings) -> APIRouter:
    api = APIRouter(prefix="/internal", include_in_schema=False,
                    dependencies=[Depends(require_internal(settings.internal_secret))])

    @api.post("/auth/verify", response_model=PrincipalOut)
    async def verify_key(body: VerifyKey):
        principal = await organizations_service.find_principal(runtime.db, body.key_hash, session_rules(settings))
        if principal is None:
            raise ApiError(404, "resource_missing", "No such API key.", param="key_hash")
        return PrincipalOut(organization_id=principal.organization_id, api_key_id=principal.api_key_id,
                            role=principal.role, user_id=principal.user_id)

    @api.post("/organizations", status_code=201, response_model=OrganizationCreated,
              dependencies=[Depends(redact("api_key", "owner"))])
    async def create_organization(body: CreateOrganization, session: DbSession):
        """The organization, its first API key and its owner user (with a generated password), shown once."""
        organization, api_key = await organizations_service.create_organization(session, runtime.outbox, body.name,
                                                                                test_mode=body.test_mode)
        owner = await organizations_service.create_owner(session, organization,
                                                         str(body.owner_email) if body.owner_email else None)
        return OrganizationCreated(
            organization=OrganizationOut(id=organization.id, name=organization.name, test_mode=organization.test_mode,
                                         created_at=organization.created_at),
            api_key=api_key, owner=OwnerOut(email=owner.email, password=owner.password,
                                            dashboard_url=users_router.dashboard_url(settings)))

    @api.get("/invoices/{invoice_id}/pdf", response_class=Response)
    async def invoice_pdf(invoice_id: str, organization_id: str = Query(...)):
        """The invoice's current PDF, for the hosted page's download link and email attachments.
        `X-Invoice-Version` says which version it shows (a paid invoice's PDF is its receipt)."""
        document = await documents_service.invoice_pdf(runtime.db, organization_id, invoice_id)
        return Response(document.content, media_type="application/pdf", headers={
            "Content-Disposition": f'inline; filename="{document.filename}"', "ETag": f'"{document.sha256}"',
            "X-Invoice-Version": str(document.version)})

    @api.post("/invoices/states", response_model=InvoiceStatesOut)
    async def invoice_states(body: InvoiceStatesRequest, session: DbSession):
        """Status and balance now of each invoice that exists (any organization; each row names its own), in one
        query: dunning reads them when a timer fires, since its read model may lag a payment."""
        return InvoiceStatesOut(states=await invoices_repository.invoice_states(session, body.invoice_ids))

    @api.get("/invoices/{invoice_id}", response_model=InvoiceSnapshot)
    async def invoice_snapshot(invoice_id: str, session: DbSession, organization_id: str = Query(...)):
        return await invoices_service.invoice_snapshot(session, organization_id, invoice_id)

    @api.get("/customers/{customer_id}", response_model=CustomerRef)
    async def customer(customer_id: str, session: DbSession, organization_id: str = Query(...)):
        """Payments saves payment methods for a customer it may not have heard of yet (its event still on the way)."""
        row = await customers_repository.get_customer(session, organization_id, customer_id)
        return customer_ref(found(row, "customer", customer_id))

    # The customer portal (issue #11), while a customer waits; another organization's customer is a 404.
    @api.get("/customers/{customer_id}/portal_context", response_model=PortalContextOut)
    async def portal_context(customer_id: str, session: DbSession, organization_id: str = Query(...)):
        """The customer, the organization's branding, the portal's options, the customer's AutoPay (resolved, with
        its source) and the methods they may pay by."""
        return await customer_portal.portal_context(session, organization_id, customer_id)

    @api.put("/customers/{customer_id}/autopay", response_model=PortalAutopayOut)
    async def customer_autopay(customer_id: str, body: PortalAutopayIn, session: DbSession):
        """The customer sets their own AutoPay (as PATCH /v1/customers/{id} would); 403
        autopay_not_customer_managed when the organization's portal.customer_autopay is false."""
        return await customer_portal.set_customer_autopay(session, runtime.outbox, customer_id, body)

    @api.get("/customers/{customer_id}/draft_invoices", response_model=DraftInvoicesOut)
    async def draft_invoices(customer_id: str, session: DbSession, organization_id: str = Query(...)):
        """The customer's drafts (newest first, at most 100): the portal's read model holds issued invoices."""
        return DraftInvoicesOut(data=await customer_portal.draft_invoices(session, organization_id, customer_id))

    # Payments holds the invoice while it charges it (void and write-off answer 409 meanwhile).
    @api.post("/invoices/{invoice_id}/charge_reservation", response_model=ChargeReservationOut)
    async def reserve_charge(invoice_id: str, body: ChargeReservationRequest,
                             session: DbSession):
        invoice = await charge_reservations.reserve_charge(
            session, body.organization_id, invoice_id, body.attempt_id, now=utcnow(),
            ttl=timedelta(seconds=settings.charge_reservation_ttl_s))
        return ChargeReservationOut(invoice_id=invoice.id, attempt_id=body.attempt_id,
                                    expires_at=invoice.charge_reserved_until,
                                    invoice=await invoices_service.snapshot_of(session, invoice))

    @api.post("/invoices/{invoice_id}/charge_reservation/release", response_model=ChargeReleaseOut)
    async def release_charge(invoice_id: str, body: ChargeReservationRequest,
                             session: DbSession):
        released = await charge_reservations.release_charge(session, body.organization_id, invoice_id,
                                                            body.attempt_id)
        return ChargeReleaseOut(invoice_id=invoice_id, attempt_id=body.attempt_id, released=released)

    return api
