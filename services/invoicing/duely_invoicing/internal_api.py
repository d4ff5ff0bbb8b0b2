"""Endpoints for Duely's own services only (shared secret header), kept out of the OpenAPI document.

Other services verify API keys here, the CLI/devstack creates organizations,
a service whose read model lags can fetch an invoice snapshot while a
person is waiting, and payments reserves an invoice for the charge it makes.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts.models import InvoiceSnapshot
from duely_runtime.auth import require_internal
from duely_runtime.errors import ApiError
from duely_runtime.idempotency import redact
from duely_runtime.service import ServiceRuntime
from duely_invoicing import charge_reservations_service, repository, schemas, service, views
from duely_invoicing.documents import service as documents_service
from duely_invoicing.settings import Settings


def router(runtime: ServiceRuntime, settings: Settings) -> APIRouter:
    api = APIRouter(prefix="/internal", include_in_schema=False,
                    dependencies=[Depends(require_internal(settings.internal_secret))])
    # scope="function": commit before the response is sent, so a 2xx means the write is durable
    # (the default "request" scope commits after the client already has its answer).
    Session = Depends(runtime.session, scope="function")

    @api.post("/auth/verify", response_model=schemas.PrincipalOut)
    async def verify_key(body: schemas.VerifyKey, session: AsyncSession = Session):
        principal = await repository.find_principal(session, body.key_hash)
        if principal is None:
            raise ApiError(404, "resource_missing", "No such API key.", param="key_hash")
        return schemas.PrincipalOut(organization_id=principal.organization_id, api_key_id=principal.api_key_id)

    @api.post("/organizations", status_code=201, response_model=schemas.OrganizationCreated,
              dependencies=[Depends(redact("api_key"))])
    async def create_organization(body: schemas.CreateOrganization, session: AsyncSession = Session):
        organization, api_key = await service.create_organization(session, runtime.outbox, body.name,
                                                                  test_mode=body.test_mode)
        return schemas.OrganizationCreated(
            organization=schemas.OrganizationOut(id=organization.id, name=organization.name,
                                                 test_mode=organization.test_mode,
                                                 created_at=organization.created_at),
            api_key=api_key)

    @api.get("/invoices/{invoice_id}/pdf", response_class=Response)
    async def invoice_pdf(invoice_id: str, organization_id: str = Query(...)):
        """The invoice's current PDF, for the hosted page's download link and email attachments.
        `X-Invoice-Version` says which version it shows (a paid invoice's PDF is its receipt)."""
        document = await documents_service.invoice_pdf(runtime.db, organization_id, invoice_id)
        return Response(document.content, media_type="application/pdf", headers={
            "Content-Disposition": f'inline; filename="{document.filename}"', "ETag": f'"{document.sha256}"',
            "X-Invoice-Version": str(document.version)})

    @api.get("/invoices/{invoice_id}", response_model=InvoiceSnapshot)
    async def invoice_snapshot(invoice_id: str, organization_id: str = Query(...),
                               session: AsyncSession = Session):
        return await service.invoice_snapshot(session, organization_id, invoice_id)

    # Payments holds the invoice while it charges it (void and write-off answer 409 meanwhile).
    @api.post("/invoices/{invoice_id}/charge_reservation", response_model=schemas.ChargeReservationOut)
    async def reserve_charge(invoice_id: str, body: schemas.ChargeReservationRequest,
                             session: AsyncSession = Session):
        invoice = await charge_reservations_service.reserve_charge(
            session, body.organization_id, invoice_id, body.attempt_id, now=service.utcnow(),
            ttl=timedelta(seconds=settings.charge_reservation_ttl_s))
        organization = await repository.get_organization(session, body.organization_id)
        return schemas.ChargeReservationOut(invoice_id=invoice.id, attempt_id=body.attempt_id,
                                            expires_at=invoice.charge_reserved_until,
                                            invoice=views.invoice_snapshot(invoice, organization))

    @api.post("/invoices/{invoice_id}/charge_reservation/release", response_model=schemas.ChargeReleaseOut)
    async def release_charge(invoice_id: str, body: schemas.ChargeReservationRequest,
                             session: AsyncSession = Session):
        released = await charge_reservations_service.release_charge(session, body.organization_id, invoice_id,
                                                                    body.attempt_id)
        return schemas.ChargeReleaseOut(invoice_id=invoice_id, attempt_id=body.attempt_id, released=released)

    return api
