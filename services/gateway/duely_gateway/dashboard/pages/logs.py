"""Logs: emails and SMS (recipient, template, status, the provider's answer), payment attempts with the
gateway's errors, and webhook deliveries — filtered by customer or invoice. Each list is the public API's
(GET /v1/messages, /v1/payment_attempts, /v1/webhook_deliveries); a list the API cannot give says so."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request

from duely_gateway.dashboard.api_client import ApiProblem
from duely_gateway.dashboard.render import page
from duely_gateway.dashboard.session import SignedIn

router = APIRouter()


async def _listed(call) -> tuple[list[dict], str | None]:
    """(rows, None) or ([], why not) when the API refuses or lacks the list."""
    try:
        return (await call).get("data", []), None
    except ApiProblem as problem:
        return [], problem.message or problem.code


async def _deliveries(api, customer_id: str, invoice_id: str) -> tuple[list[dict], str | None]:
    """Webhook deliveries name their event, not the invoice: an invoice's are those of its events
    (GET /v1/events?aggregate_id=, then each event's deliveries)."""
    if not invoice_id:
        rows, problem = await _listed(api.get("/v1/webhook_deliveries", limit=50))
        if customer_id and not problem:
            problem = "Webhook deliveries are listed for every customer: filter by invoice to narrow them."
        return rows, problem
    events, problem = await _listed(api.get("/v1/events", aggregate_id=invoice_id, limit=50))
    if problem:
        return [], problem
    found = await asyncio.gather(*(_listed(api.get("/v1/webhook_deliveries", event_id=e["id"])) for e in events))
    rows = [row for listed, _ in found for row in listed]
    return sorted(rows, key=lambda d: d.get("created_at") or "", reverse=True), None


@router.get("/dashboard/logs")
async def logs(request: Request, viewer: SignedIn, customer_id: str = "", invoice_id: str = "", show: str = ""):
    customer_id, invoice_id = customer_id.strip(), invoice_id.strip()
    api = viewer.api
    (messages, messages_problem), (attempts, attempts_problem), (deliveries, deliveries_problem) = await asyncio.gather(
        _listed(api.get("/v1/messages", customer_id=customer_id, invoice_id=invoice_id, limit=50)),
        _listed(api.get("/v1/payment_attempts", customer_id=customer_id, invoice_id=invoice_id, limit=50)),
        _deliveries(api, customer_id, invoice_id))
    return page(request, "logs/index.html", viewer, active="logs", customer_id=customer_id, invoice_id=invoice_id,
                messages=messages, messages_problem=messages_problem, attempts=attempts,
                attempts_problem=attempts_problem, deliveries=deliveries, deliveries_problem=deliveries_problem,
                show=show, editable=False, delivery_status="")
