"""/internal/dashboard: the gateway's dashboard signs people in here (authentication only, never business actions:
the dashboard does those through the public API with the session token). Internal secret required."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Request, Response

from duely_invoicing.config import Settings
from duely_invoicing.models import InvoiceSettings
from duely_invoicing.users import sign_in
from duely_invoicing.users.router import user_out
from duely_invoicing.users.schemas import (CurrentSession, OrganizationRef, Redeem, SessionStarted, SignIn,
                                           SignInLinkRequest, SignOut)
from duely_runtime.auth import bearer_token, require_internal
from duely_runtime.errors import ApiError
from duely_runtime.idempotency import redact
from duely_runtime.kit.deps import DbSession
from duely_runtime.service import ServiceRuntime


def session_rules(settings: Settings) -> sign_in.SessionRules:
    return sign_in.SessionRules(idle=timedelta(seconds=settings.dashboard_session_idle_s),
                                max_age=timedelta(seconds=settings.dashboard_session_max_s))


def _started(started: sign_in.Started) -> SessionStarted:
    return SessionStarted(session_token=started.token, expires_at=started.session.expires_at,
                          user=user_out(started.user),
                          organization=OrganizationRef(id=started.organization.id, name=started.organization.name))


def router(runtime: ServiceRuntime, settings: Settings) -> APIRouter:
    api = APIRouter(prefix="/internal/dashboard", include_in_schema=False,
                    dependencies=[Depends(require_internal(settings.internal_secret))])
    rules = session_rules(settings)

    @api.post("/sign_in", response_model=SessionStarted, dependencies=[Depends(redact("session_token"))])
    async def sign_in_with_password(body: SignIn):
        # Its own transaction: a failed attempt is committed before the 401 (the rate limit counts it).
        async with runtime.db.transaction() as session:
            started = await sign_in.sign_in(session, body.email, body.password, body.client_ip, rules)
            answer = _started(started) if started else None
        if answer is None:
            raise sign_in.failed()
        return answer

    @api.post("/sign_in_links", status_code=202, response_class=Response)
    async def sign_in_link(body: SignInLinkRequest, session: DbSession):
        await sign_in.request_link(session, runtime.outbox, body.email, body.client_ip, body.dashboard_url)
        return Response(status_code=202)

    @api.post("/tokens/redeem", response_model=SessionStarted, dependencies=[Depends(redact("session_token"))])
    async def redeem(body: Redeem, session: DbSession):
        return _started(await sign_in.redeem(session, body.token, body.password, rules))

    @api.post("/sign_out", status_code=204, response_class=Response)
    async def sign_out(body: SignOut, session: DbSession):
        await sign_in.sign_out(session, body.session_token)
        return Response(status_code=204)

    @api.get("/session", response_model=CurrentSession)
    async def current_session(request: Request, session: DbSession):
        token = bearer_token(request.headers.get("authorization", ""))
        started = await sign_in.current(session, token, rules) if token else None
        if started is None:
            raise ApiError(401, "session_invalid", "Not signed in, or the session has ended.")
        brand = await session.get(InvoiceSettings, started.organization.id)
        return CurrentSession(user=user_out(started.user), expires_at=started.session.expires_at,
                              organization=OrganizationRef(id=started.organization.id, name=started.organization.name,
                                                           logo_url=brand.logo_url if brand else None,
                                                           accent_color=brand.accent_color if brand else None))

    return api
