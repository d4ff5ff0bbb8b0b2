"""HTTP API of webhook endpoints: manage them, read their delivery log, replay, send a test event.

Every POST takes an Idempotency-Key (the runtime stores the answer); a secret is shown once: the replay of a
repeated key returns the endpoint without it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from duely_runtime.idempotency import redact
from duely_runtime.kit.deps import Caller, DbSession

from duely_notifications.schemas import (
    DeletedObject, ListOf, WebhookDeliveryOut, WebhookEndpointCreate, WebhookEndpointCreated, WebhookEndpointOut,
)
from duely_notifications.webhooks.repository import DeliveryFilters
from duely_notifications.webhooks.schemas import (
    DeliveryList, ReplayCount, ReplaySince, RollSecret, WebhookDeliveryDetail, WebhookEndpointUpdate,
)
from duely_notifications.webhooks.service import WebhookEndpoints

PageSize = Annotated[int, Query(ge=1, le=100)]  # ?limit=, 100 unless given
Status = Literal["pending", "succeeded", "failed"]


def router(webhooks: WebhookEndpoints) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["webhooks"])

    def out(endpoint) -> WebhookEndpointOut:
        return WebhookEndpointOut.of(endpoint, webhooks.now())

    @api.post("/webhook_endpoints", status_code=201, response_model=WebhookEndpointCreated,
              dependencies=[Depends(redact("secret"))])
    async def create_webhook_endpoint(body: WebhookEndpointCreate, caller: Caller, session: DbSession):
        endpoint = await webhooks.create(session, caller.organization_id, body.url, body.events, body.description)
        return WebhookEndpointCreated.of(endpoint, webhooks.now())

    @api.get("/webhook_endpoints", response_model=ListOf[WebhookEndpointOut])
    async def list_webhook_endpoints(caller: Caller, session: DbSession, limit: PageSize = 100):
        page = await webhooks.list(session, caller.organization_id, limit)
        return ListOf(data=[out(endpoint) for endpoint in page.rows], has_more=page.has_more)

    @api.get("/webhook_endpoints/{endpoint_id}", response_model=WebhookEndpointOut)
    async def get_webhook_endpoint(endpoint_id: str, caller: Caller, session: DbSession):
        return out(await webhooks.get(session, caller.organization_id, endpoint_id))

    @api.patch("/webhook_endpoints/{endpoint_id}", response_model=WebhookEndpointOut)
    async def update_webhook_endpoint(endpoint_id: str, body: WebhookEndpointUpdate, caller: Caller,
                                      session: DbSession):
        """url, events, description, enabled: the fields given change. enabled=true resumes a disabled endpoint."""
        return out(await webhooks.update(session, caller.organization_id, endpoint_id, body))

    @api.delete("/webhook_endpoints/{endpoint_id}", response_model=DeletedObject)
    async def delete_webhook_endpoint(endpoint_id: str, caller: Caller, session: DbSession):
        await webhooks.delete(session, caller.organization_id, endpoint_id)
        return DeletedObject(id=endpoint_id, object="webhook_endpoint")

    @api.post("/webhook_endpoints/{endpoint_id}/roll_secret", response_model=WebhookEndpointCreated,
              dependencies=[Depends(redact("secret"))])
    async def roll_webhook_secret(endpoint_id: str, caller: Caller, session: DbSession,
                                  body: RollSecret | None = None):
        """A new signing secret, shown once. The old one signs too (a second signature) for expires_in_s."""
        body = body or RollSecret()
        endpoint = await webhooks.roll_secret(session, caller.organization_id, endpoint_id, body.expires_in_s)
        return WebhookEndpointCreated.of(endpoint, webhooks.now())

    @api.post("/webhook_endpoints/{endpoint_id}/test", status_code=201, response_model=WebhookDeliveryOut)
    async def send_test_webhook(endpoint_id: str, caller: Caller, session: DbSession):
        """A `webhook.test` event to this endpoint only, delivered, signed and logged like any other."""
        return WebhookDeliveryOut.of(await webhooks.send_test(session, caller.organization_id, endpoint_id))

    @api.get("/webhook_endpoints/{endpoint_id}/deliveries", response_model=DeliveryList)
    async def list_webhook_deliveries(endpoint_id: str, caller: Caller, session: DbSession, limit: PageSize = 100,
                                      status: Status | None = None, event_id: str | None = None,
                                      event_type: str | None = None, cursor: str | None = None,
                                      starting_after: str | None = None):
        """The endpoint's deliveries, newest first."""
        filters = DeliveryFilters(endpoint_id=endpoint_id, status=status, event_id=event_id, event_type=event_type)
        page = await webhooks.deliveries(session, caller.organization_id, filters, limit, cursor, starting_after)
        return DeliveryList(data=[WebhookDeliveryOut.of(d) for d in page.rows], has_more=page.has_more,
                            next_cursor=page.next_cursor)

    @api.get("/webhook_endpoints/{endpoint_id}/deliveries/{delivery_id}", response_model=WebhookDeliveryDetail)
    async def get_webhook_delivery(endpoint_id: str, delivery_id: str, caller: Caller, session: DbSession):
        """One delivery with its attempt log (status code, duration, error, the retry planned after each)."""
        delivery, attempts = await webhooks.delivery(session, caller.organization_id, endpoint_id, delivery_id)
        return WebhookDeliveryDetail.with_attempts(delivery, attempts)

    @api.post("/webhook_endpoints/{endpoint_id}/deliveries/{delivery_id}/replay", response_model=WebhookDeliveryOut)
    async def replay_webhook_delivery(endpoint_id: str, delivery_id: str, caller: Caller, session: DbSession):
        """Send it again now (same body, same webhook-id), with a new round of retries."""
        return WebhookDeliveryOut.of(await webhooks.replay(session, caller.organization_id, endpoint_id,
                                                            delivery_id))

    @api.post("/webhook_endpoints/{endpoint_id}/replay", response_model=ReplayCount)
    async def replay_webhook_deliveries(endpoint_id: str, body: ReplaySince, caller: Caller, session: DbSession):
        """Every failed (or succeeded) delivery of the endpoint created since a time, sent again."""
        count = await webhooks.replay_since(session, caller.organization_id, endpoint_id, body.status, body.since)
        return ReplayCount(endpoint_id=endpoint_id, status=body.status, since=body.since, count=count)

    @api.get("/webhook_deliveries", response_model=DeliveryList)
    async def list_all_webhook_deliveries(caller: Caller, session: DbSession, event_id: str | None = None,
                                          event_type: str | None = None, status: Status | None = None,
                                          endpoint_id: str | None = None, limit: PageSize = 100,
                                          cursor: str | None = None, starting_after: str | None = None):
        """Deliveries across the organization's endpoints, newest first: ?event_id= shows one event's log."""
        filters = DeliveryFilters(endpoint_id=endpoint_id, status=status, event_id=event_id, event_type=event_type)
        page = await webhooks.deliveries(session, caller.organization_id, filters, limit, cursor, starting_after)
        return DeliveryList(data=[WebhookDeliveryOut.of(d) for d in page.rows], has_more=page.has_more,
                            next_cursor=page.next_cursor)

    return api
