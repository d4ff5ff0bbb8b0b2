"""Public API: /v1/subscriptions — a customer's recurring agreement and its invoice-setting overrides."""

from __future__ import annotations

from fastapi import APIRouter, Query

from duely_invoicing.responses import ERRORS
from duely_invoicing.subscriptions import service, views
from duely_invoicing.subscriptions.schemas import (
    SubscriptionCreate,
    SubscriptionList,
    SubscriptionOut,
    SubscriptionPatch,
    SubscriptionStatus,
)
from duely_runtime.kit.deps import Caller, DbSession
from duely_runtime.service import ServiceRuntime


def router(runtime: ServiceRuntime) -> APIRouter:
    api = APIRouter(prefix="/v1/subscriptions", responses=ERRORS, tags=["subscriptions"])

    @api.post("", status_code=201, response_model=SubscriptionOut)
    async def create_subscription(body: SubscriptionCreate, session: DbSession, principal: Caller):
        subscription = await service.create_subscription(session, runtime.outbox, principal.organization_id, body)
        return views.subscription_out(subscription)

    @api.get("", response_model=SubscriptionList)
    async def list_subscriptions(session: DbSession, principal: Caller, limit: int = Query(10, ge=1, le=100),
                                 customer_id: str | None = Query(None, max_length=40),
                                 status: SubscriptionStatus | None = None):
        page = await service.list_subscriptions(session, principal.organization_id, limit=limit,
                                                customer_id=customer_id, status=status)
        return SubscriptionList(data=[views.subscription_out(s) for s in page.rows], has_more=page.has_more)

    @api.get("/{subscription_id}", response_model=SubscriptionOut)
    async def get_subscription(subscription_id: str, session: DbSession, principal: Caller):
        return views.subscription_out(await service.get_subscription(session, principal.organization_id,
                                                                     subscription_id))

    @api.patch("/{subscription_id}", response_model=SubscriptionOut)
    async def update_subscription(subscription_id: str, body: SubscriptionPatch, session: DbSession,
                                  principal: Caller):
        """Settings (absent = unchanged, null = inherit), description and status
        (active ⇄ paused, → canceled; canceled is final: any change is a 409)."""
        subscription = await service.update_subscription(session, runtime.outbox, principal.organization_id,
                                                         subscription_id, body)
        return views.subscription_out(subscription)

    return api
