"""Public API for subscriptions: /v1/subscriptions (a customer's recurring agreement and its overrides)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from duely_runtime.auth import Principal
from duely_runtime.service import ServiceRuntime
from duely_invoicing import settings_repository, settings_schemas as ss, settings_views, subscriptions_service
from duely_invoicing.api import ERRORS


def router(runtime: ServiceRuntime) -> APIRouter:
    api = APIRouter(prefix="/v1/subscriptions", responses=ERRORS, tags=["subscriptions"])
    Session = Depends(runtime.session, scope="function")  # commit before responding, as in api.py
    Caller = Depends(runtime.authenticate)

    @api.post("", status_code=201, response_model=ss.SubscriptionOut)
    async def create_subscription(body: ss.SubscriptionCreate, session: AsyncSession = Session,
                                  principal: Principal = Caller):
        subscription = await subscriptions_service.create_subscription(session, runtime.outbox,
                                                                       principal.organization_id, body)
        return settings_views.subscription_out(subscription)

    @api.get("", response_model=ss.SubscriptionList)
    async def list_subscriptions(limit: int = Query(10, ge=1, le=100),
                                 customer_id: str | None = Query(None, max_length=40),
                                 status: ss.SubscriptionStatus | None = None,
                                 session: AsyncSession = Session, principal: Principal = Caller):
        rows = await settings_repository.list_subscriptions(session, principal.organization_id, limit=limit + 1,
                                                            customer_id=customer_id, status=status)
        return ss.SubscriptionList(data=[settings_views.subscription_out(s) for s in rows[:limit]],
                                   has_more=len(rows) > limit)

    @api.get("/{subscription_id}", response_model=ss.SubscriptionOut)
    async def get_subscription(subscription_id: str, session: AsyncSession = Session,
                               principal: Principal = Caller):
        return settings_views.subscription_out(await subscriptions_service.get_subscription(
            session, principal.organization_id, subscription_id))

    @api.patch("/{subscription_id}", response_model=ss.SubscriptionOut)
    async def update_subscription(subscription_id: str, body: ss.SubscriptionPatch, session: AsyncSession = Session,
                                  principal: Principal = Caller):
        """Settings (absent = unchanged, null = inherit), description and status
        (active ⇄ paused, → canceled; canceled is final: any change is a 409)."""
        subscription = await subscriptions_service.update_subscription(session, runtime.outbox,
                                                                       principal.organization_id,
                                                                       subscription_id, body)
        return settings_views.subscription_out(subscription)

    return api
