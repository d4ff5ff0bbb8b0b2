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


@router.get("/dashboard/logs")
async def logs(request: Request, viewer: SignedIn, customer_id: str = "", invoice_id: str = "", show: str = ""):
    customer_id, invoice_id = customer_id.strip(), invoice_id.strip()
    api = viewer.api
    (messages, messages_problem), (attempts, attempts_problem), (deliveries, deliveries_problem) = await asyncio.gather(
        _listed(api.get("/v1/messages", customer_id=customer_id, invoice_id=invoice_id, limit=50)),
        _listed(api.get("/v1/payment_attempts", customer_id=customer_id, invoice_id=invoice_id, limit=50)),
        _listed(api.get("/v1/webhook_deliveries", limit=50)))
    if customer_id and any("customer_id" not in m for m in messages):  # an API without the filter ignores it
        messages, messages_problem = [], "the messages API does not filter by customer yet; filter by invoice."
    if invoice_id:  # a delivery names its event, not the invoice: keep the invoice's events' deliveries
        events, _ = await _listed(api.get("/v1/events", aggregate_id=invoice_id, limit=100))
        event_ids = {e.get("id") for e in events}
        deliveries = [d for d in deliveries if d["event_id"] in event_ids] if events else []
        deliveries_problem = deliveries_problem or (None if events else "Deliveries are not filtered by invoice "
                                                    "without the events API; none shown.")
    return page(request, "logs/index.html", viewer, active="logs", customer_id=customer_id, invoice_id=invoice_id,
                messages=messages, messages_problem=messages_problem, attempts=attempts,
                attempts_problem=attempts_problem, deliveries=deliveries, deliveries_problem=deliveries_problem,
                show=show, editable=False, delivery_status="")
