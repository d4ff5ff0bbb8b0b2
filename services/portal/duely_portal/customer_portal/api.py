"""HTTP for the merchant: `POST /v1/customers/{id}/portal_sessions` (API key) makes the customer's sign-in link,
`POST /v1/customers/{id}/portal_sessions/{session_id}/revoke` ends a session (or voids a link not used yet).
Idempotency-Key is honoured by the runtime, as on every POST."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from duely_runtime.kit.clock import utcnow
from duely_runtime.kit.deps import Caller
from duely_runtime.service import ServiceRuntime
from duely_portal.customer_portal import service
from duely_portal.customer_portal.schemas import PortalSessionCreate, PortalSessionOut
from duely_portal.customer_portal.upstream import PortalUpstream, UpstreamUnavailable
from duely_runtime.errors import ApiError

TAGS = ["portal_sessions"]


def view(row, *, url: str | None = None, emailed: bool = False) -> PortalSessionOut:
    now = utcnow()
    if row.revoked_at is not None:
        status = "revoked"
    elif row.redeemed_at is not None:
        status = "active" if row.expires_at and row.expires_at > now else "used"
    else:
        status = "pending" if row.link_expires_at > now else "expired"
    return PortalSessionOut(id=row.id, customer_id=row.customer_id, url=url, expires_at=row.link_expires_at,
                            emailed=emailed, status=status, return_url=row.return_url, created_at=row.created_at)


def router(runtime: ServiceRuntime, upstream: PortalUpstream) -> APIRouter:
    api = APIRouter()
    base = "/v1/customers/{customer_id}/portal_sessions"

    @api.post(base, tags=TAGS, status_code=201, response_model=PortalSessionOut)
    async def create_portal_session(customer_id: str, caller: Caller, body: PortalSessionCreate | None = None):
        """A single-use sign-in link to the customer's portal (valid `DUELY_PORTAL_MAGIC_LINK_TTL_S`, one hour
        by default). Opening it starts a session in that browser; `email: true` also emails it to the customer."""
        body = body or PortalSessionCreate()
        try:
            made = await service.create_link(runtime.db, runtime.outbox, upstream, runtime.settings,
                                             caller.organization_id, customer_id, email=body.email,
                                             return_url=body.return_url)
        except UpstreamUnavailable:
            raise ApiError(503, "invoicing_unavailable", "Could not look up the customer right now; retry shortly.")
        out = view(made.session, url=made.url, emailed=made.emailed)
        return JSONResponse(out.model_dump(mode="json"), status_code=201)

    @api.post(base + "/{session_id}/revoke", tags=TAGS, response_model=PortalSessionOut)
    async def revoke_portal_session(customer_id: str, session_id: str, caller: Caller):
        """End the session at once (the customer is signed out), or void the link if it was not opened yet."""
        row = await service.revoke_session(runtime.db, caller.organization_id, customer_id, session_id)
        return view(row)

    return api
