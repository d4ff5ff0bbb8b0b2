"""HTTP API: webhook endpoints, their deliveries, email log and manual reminders."""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from duely_runtime.auth import Principal
from duely_runtime.errors import not_found
from duely_runtime.idempotency import redact
from duely_runtime.service import ServiceRuntime

from duely_notifications import repository as repo
from duely_notifications.schemas import (
    DeletedObject, EmailMessageOut, ListOf, ReminderRequest, WebhookDeliveryOut, WebhookEndpointCreate,
    WebhookEndpointCreated, WebhookEndpointOut,
)
from duely_notifications.service import Notifications


def router(runtime: ServiceRuntime, notifications: Notifications) -> APIRouter:
    api = APIRouter(prefix="/v1")
    # "function" scope: commit before the response is sent (read-your-writes for the caller).
    session_dep = Depends(runtime.session, scope="function")
    principal_dep = Depends(runtime.authenticate)

    # The signing secret is shown once: an Idempotency-Key replay returns the endpoint without it.
    @api.post("/webhook_endpoints", status_code=201, response_model=WebhookEndpointCreated,
              dependencies=[Depends(redact("secret"))])
    async def create_webhook_endpoint(body: WebhookEndpointCreate, principal: Principal = principal_dep,
                                      session: AsyncSession = session_dep):
        endpoint = await notifications.create_endpoint(session, principal.organization_id, body.url, body.events,
                                                       body.description)
        return WebhookEndpointCreated.of(endpoint)

    @api.get("/webhook_endpoints", response_model=ListOf[WebhookEndpointOut])
    async def list_webhook_endpoints(limit: int = Query(100, ge=1, le=100), principal: Principal = principal_dep,
                                     session: AsyncSession = session_dep):
        rows = await repo.list_endpoints(session, principal.organization_id, limit + 1)
        return ListOf(data=[WebhookEndpointOut.of(e) for e in rows[:limit]], has_more=len(rows) > limit)

    @api.get("/webhook_endpoints/{endpoint_id}", response_model=WebhookEndpointOut)
    async def get_webhook_endpoint(endpoint_id: str, principal: Principal = principal_dep,
                                   session: AsyncSession = session_dep):
        return WebhookEndpointOut.of(await notifications.get_endpoint(session, principal.organization_id, endpoint_id))

    @api.delete("/webhook_endpoints/{endpoint_id}", response_model=DeletedObject)
    async def delete_webhook_endpoint(endpoint_id: str, principal: Principal = principal_dep,
                                      session: AsyncSession = session_dep):
        await notifications.delete_endpoint(session, principal.organization_id, endpoint_id)
        return DeletedObject(id=endpoint_id, object="webhook_endpoint")

    @api.get("/webhook_endpoints/{endpoint_id}/deliveries", response_model=ListOf[WebhookDeliveryOut])
    async def list_webhook_deliveries(endpoint_id: str, limit: int = Query(100, ge=1, le=100),
                                      principal: Principal = principal_dep, session: AsyncSession = session_dep):
        endpoint = await notifications.get_endpoint(session, principal.organization_id, endpoint_id)
        rows = await repo.list_deliveries(session, endpoint.id, limit + 1)
        return ListOf(data=[WebhookDeliveryOut.of(d) for d in rows[:limit]], has_more=len(rows) > limit)

    @api.post("/invoices/{invoice_id}/remind", status_code=202, response_model=EmailMessageOut)
    async def remind_invoice(invoice_id: str, body: ReminderRequest | None = Body(default=None),
                             principal: Principal = principal_dep, session: AsyncSession = session_dep):
        tone = body.tone if body else "gentle"
        message = await notifications.request_reminder(session, principal.organization_id, invoice_id, tone)
        return EmailMessageOut.of(message)

    @api.get("/messages", response_model=ListOf[EmailMessageOut])
    async def list_messages(invoice_id: str | None = None, limit: int = Query(100, ge=1, le=100),
                            principal: Principal = principal_dep, session: AsyncSession = session_dep):
        rows = await repo.list_messages(session, principal.organization_id, invoice_id, limit + 1)
        return ListOf(data=[EmailMessageOut.of(m) for m in rows[:limit]], has_more=len(rows) > limit)

    @api.get("/messages/{message_id}", response_model=EmailMessageOut)
    async def get_message(message_id: str, principal: Principal = principal_dep,
                          session: AsyncSession = session_dep):
        message = await repo.get_message(session, principal.organization_id, message_id)
        if message is None:
            raise not_found("message", message_id)
        return EmailMessageOut.of(message)

    return api
