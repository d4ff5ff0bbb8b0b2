"""Developers: API keys (list, create — the key shown once —, revoke), webhook endpoints (list, create — the
signing secret shown once —, edit, send a test, roll the secret, deliveries with their attempts, replay one)
and the organization's recent events."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from duely_contracts.registry import WEBHOOK_EVENT_TYPES
from duely_gateway.dashboard.api_client import ApiProblem
from duely_gateway.dashboard.outcomes import attempt, failed
from duely_gateway.dashboard.pages.fields import text_or_none
from duely_gateway.dashboard.render import page
from duely_gateway.dashboard.session import Form, SignedIn, form_of

router = APIRouter()

KEYS, ENDPOINTS = "/v1/api_keys", "/v1/webhook_endpoints"
KEY_ROLES = (("owner", "Full access"), ("admin", "Admin"), ("finance", "Finance"), ("viewer", "Read only"))
HOME = "/dashboard/developers"


def _events(form: Form) -> list[str]:
    events = form.getlist("events")
    return ["*"] if "*" in events or not events else events


async def _home(request: Request, viewer, *, new_key: dict | None = None, status: int = 200):
    keys, endpoints = await asyncio.gather(viewer.api.get(KEYS), viewer.api.get(ENDPOINTS))
    return page(request, "developers/index.html", viewer, active="developers", status=status,
                keys=keys.get("data", []), endpoints=endpoints.get("data", []), new_key=new_key, roles=KEY_ROLES,
                event_types=WEBHOOK_EVENT_TYPES, can_keys=viewer.can("POST", KEYS),
                can_hooks=viewer.can("POST", ENDPOINTS))


@router.get(HOME)
async def developers(request: Request, viewer: SignedIn):
    return await _home(request, viewer)


@router.get(HOME + "/api_keys")
@router.get(HOME + "/webhooks")
async def back_to_developers(viewer: SignedIn):
    """Reloading the page a create answered (its URL is the form's action) shows the lists again."""
    return RedirectResponse(HOME, status_code=303)


@router.post(HOME + "/api_keys")
async def create_key(request: Request, viewer: SignedIn):
    """The new key is on this answer only (a redirect would have to carry it in a URL)."""
    form = await form_of(request, viewer)
    role = form.get("role") or "owner"
    try:
        created = await viewer.api.post(KEYS, json={} if role == "owner" else {"role": role})
    except ApiProblem as problem:
        if problem.status == 404:
            raise
        return failed(request, HOME, problem)
    return await _home(request, viewer, new_key=created, status=201)


@router.post(HOME + "/api_keys/{key_id}/revoke")
async def revoke_key(request: Request, key_id: str, viewer: SignedIn):
    await form_of(request, viewer)
    return await attempt(request, HOME, "API key revoked: requests with it now get 401.",
                         viewer.api.delete(f"{KEYS}/{key_id}"))


# -- webhook endpoints ----------------------------------------------------------------------------------------

async def _endpoint_page(request: Request, viewer, endpoint_id: str, *, secret: str | None = None,
                         status: int = 200, delivery_status: str = ""):
    endpoint, deliveries = await asyncio.gather(
        viewer.api.get(f"{ENDPOINTS}/{endpoint_id}"),
        viewer.api.get(f"{ENDPOINTS}/{endpoint_id}/deliveries", limit=50, status=delivery_status or None))
    return page(request, "developers/endpoint.html", viewer, active="developers", status=status, endpoint=endpoint,
                deliveries=deliveries.get("data", []), secret=secret, event_types=WEBHOOK_EVENT_TYPES,
                delivery_status=delivery_status, editable=viewer.can("POST", ENDPOINTS))


@router.post(HOME + "/webhooks")
async def create_endpoint(request: Request, viewer: SignedIn):
    form = await form_of(request, viewer)
    try:
        created = await viewer.api.post(ENDPOINTS, json={
            "url": form.get("url").strip(), "events": _events(form), "description": text_or_none(form, "description")})
    except ApiProblem as problem:
        if problem.status == 404:
            raise
        return failed(request, HOME, problem)
    return await _endpoint_page(request, viewer, created["id"], secret=created.get("secret"), status=201)


@router.get(HOME + "/webhooks/{endpoint_id}")
async def endpoint(request: Request, endpoint_id: str, viewer: SignedIn, status: str = ""):
    return await _endpoint_page(request, viewer, endpoint_id,
                                delivery_status=status if status in ("pending", "succeeded", "failed") else "")


@router.post(HOME + "/webhooks/{endpoint_id}")
async def update_endpoint(request: Request, endpoint_id: str, viewer: SignedIn):
    form = await form_of(request, viewer)
    body = {"url": form.get("url").strip(), "events": _events(form), "description": text_or_none(form, "description"),
            "enabled": form.get("enabled") == "on"}
    return await attempt(request, f"{HOME}/webhooks/{endpoint_id}", "Endpoint saved.",
                         viewer.api.patch(f"{ENDPOINTS}/{endpoint_id}", json=body))


@router.post(HOME + "/webhooks/{endpoint_id}/test")
async def send_test(request: Request, endpoint_id: str, viewer: SignedIn):
    await form_of(request, viewer)
    return await attempt(request, f"{HOME}/webhooks/{endpoint_id}",
                         "Test event queued: its delivery is listed below.",
                         viewer.api.post(f"{ENDPOINTS}/{endpoint_id}/test"))


@router.post(HOME + "/webhooks/{endpoint_id}/roll_secret")
async def roll_secret(request: Request, endpoint_id: str, viewer: SignedIn):
    await form_of(request, viewer)
    try:
        rolled = await viewer.api.post(f"{ENDPOINTS}/{endpoint_id}/roll_secret", json={})
    except ApiProblem as problem:
        if problem.status == 404:
            raise
        return failed(request, f"{HOME}/webhooks/{endpoint_id}", problem)
    return await _endpoint_page(request, viewer, endpoint_id, secret=rolled.get("secret"))


@router.post(HOME + "/webhooks/{endpoint_id}/delete")
async def delete_endpoint(request: Request, endpoint_id: str, viewer: SignedIn):
    await form_of(request, viewer)
    return await attempt(request, HOME, "Endpoint deleted.", viewer.api.delete(f"{ENDPOINTS}/{endpoint_id}"))


@router.get(HOME + "/webhooks/{endpoint_id}/deliveries/{delivery_id}")
async def delivery(request: Request, endpoint_id: str, delivery_id: str, viewer: SignedIn):
    found = await viewer.api.get(f"{ENDPOINTS}/{endpoint_id}/deliveries/{delivery_id}")
    return page(request, "developers/delivery.html", viewer, active="developers", delivery=found,
                editable=viewer.can("POST", ENDPOINTS))


@router.post(HOME + "/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay")
async def replay(request: Request, endpoint_id: str, delivery_id: str, viewer: SignedIn):
    form = await form_of(request, viewer)
    back = form.get("back") if form.get("back").startswith(HOME) else f"{HOME}/webhooks/{endpoint_id}"
    return await attempt(request, back, "Delivery replayed: sent again now, same webhook-id.",
                         viewer.api.post(f"{ENDPOINTS}/{endpoint_id}/deliveries/{delivery_id}/replay"))


# -- events -----------------------------------------------------------------------------------------------------

@router.get(HOME + "/events")
async def events(request: Request, viewer: SignedIn, type: str = "", aggregate_id: str = ""):
    """The organization's recent events (GET /v1/events). Where that API is not there, the events its webhook
    deliveries carried, which is what the delivery log knows."""
    source, rows = "events", []
    try:
        listed = await viewer.api.get("/v1/events", type=type, aggregate_id=aggregate_id, limit=100)
        rows = listed.get("data", [])
    except ApiProblem as problem:
        if problem.status != 404:
            raise
        source = "deliveries"
        listed = await viewer.api.get("/v1/webhook_deliveries", event_type=type, limit=100)
        seen: dict[str, dict] = {}
        for d in listed.get("data", []):
            entry = seen.setdefault(d["event_id"], {"id": d["event_id"], "type": d["event_type"],
                                                    "created_at": d["created_at"], "deliveries": []})
            entry["deliveries"].append(d)
        rows = list(seen.values())
    return page(request, "developers/events.html", viewer, active="developers", rows=rows, source=source,
                type=type, aggregate_id=aggregate_id, event_types=WEBHOOK_EVENT_TYPES)
