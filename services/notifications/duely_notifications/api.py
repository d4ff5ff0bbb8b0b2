"""HTTP API: webhook endpoints, their deliveries, the delivery log of emails and SMS. (Manual reminders are
dunning's: POST /v1/invoices/{id}/remind goes on the invoice's collection timeline.)"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from duely_runtime.idempotency import redact
from duely_runtime.kit.deps import Caller, DbSession

from duely_notifications.models import SmsMessage
from duely_notifications.schemas import (
    DeletedObject, EmailMessageOut, ListOf, WebhookDeliveryOut, WebhookEndpointCreate, WebhookEndpointCreated,
    WebhookEndpointOut,
)
from duely_notifications.service import Notifications
from duely_notifications.sms.schemas import SmsMessageOut

PageSize = Annotated[int, Query(ge=1, le=100)]  # ?limit=, 100 unless given


def message_out(message) -> EmailMessageOut | SmsMessageOut:
    return SmsMessageOut.of(message) if isinstance(message, SmsMessage) else EmailMessageOut.of(message)


def router(notifications: Notifications) -> APIRouter:
    api = APIRouter(prefix="/v1")

    # The signing secret is shown once: an Idempotency-Key replay returns the endpoint without it.
    @api.post("/webhook_endpoints", status_code=201, response_model=WebhookEndpointCreated,
              dependencies=[Depends(redact("secret"))])
    async def create_webhook_endpoint(body: WebhookEndpointCreate, caller: Caller, session: DbSession):
        endpoint = await notifications.create_endpoint(session, caller.organization_id, body.url, body.events,
                                                       body.description)
        return WebhookEndpointCreated.of(endpoint)

    @api.get("/webhook_endpoints", response_model=ListOf[WebhookEndpointOut])
    async def list_webhook_endpoints(caller: Caller, session: DbSession, limit: PageSize = 100):
        page = await notifications.list_endpoints(session, caller.organization_id, limit)
        return ListOf(data=[WebhookEndpointOut.of(endpoint) for endpoint in page.rows], has_more=page.has_more)

    @api.get("/webhook_endpoints/{endpoint_id}", response_model=WebhookEndpointOut)
    async def get_webhook_endpoint(endpoint_id: str, caller: Caller, session: DbSession):
        return WebhookEndpointOut.of(await notifications.get_endpoint(session, caller.organization_id, endpoint_id))

    @api.delete("/webhook_endpoints/{endpoint_id}", response_model=DeletedObject)
    async def delete_webhook_endpoint(endpoint_id: str, caller: Caller, session: DbSession):
        await notifications.delete_endpoint(session, caller.organization_id, endpoint_id)
        return DeletedObject(id=endpoint_id, object="webhook_endpoint")

    @api.get("/webhook_endpoints/{endpoint_id}/deliveries", response_model=ListOf[WebhookDeliveryOut])
    async def list_webhook_deliveries(endpoint_id: str, caller: Caller, session: DbSession, limit: PageSize = 100):
        page = await notifications.list_deliveries(session, caller.organization_id, endpoint_id, limit)
        return ListOf(data=[WebhookDeliveryOut.of(delivery) for delivery in page.rows], has_more=page.has_more)

    # The delivery log: every email and SMS, newest first.
    @api.get("/messages", response_model=ListOf[EmailMessageOut | SmsMessageOut])
    async def list_messages(caller: Caller, session: DbSession, invoice_id: str | None = None, limit: PageSize = 100):
        page = await notifications.list_messages(session, caller.organization_id, invoice_id, limit)
        return ListOf(data=[message_out(message) for message in page.rows], has_more=page.has_more)

    @api.get("/messages/{message_id}", response_model=EmailMessageOut | SmsMessageOut)
    async def get_message(message_id: str, caller: Caller, session: DbSession):
        return message_out(await notifications.get_message(session, caller.organization_id, message_id))

    return api
