"""Subscriptions: the list (by status or customer) and a subscription's page — Billing settings that override
the customer's AutoPay (inherit, on or off, timing, method) and its status (active, paused, canceled)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request

from duely_gateway.dashboard.outcomes import attempt
from duely_gateway.dashboard.pages import billing_forms as bf
from duely_gateway.dashboard.render import page
from duely_gateway.dashboard.session import SignedIn, form_of

router = APIRouter()
STATUSES = ("active", "paused", "canceled")


@router.get("/dashboard/subscriptions")
async def subscriptions(request: Request, viewer: SignedIn, status: str = "", customer_id: str = ""):
    listed = await viewer.api.get("/v1/subscriptions", limit=100, status=status if status in STATUSES else None,
                                  customer_id=customer_id or None)
    customers = await viewer.api.get("/v1/customers", limit=100)
    names = {c["id"]: c["name"] for c in customers["data"]}
    return page(request, "subscriptions/list.html", viewer, active="subscriptions", subscriptions=listed["data"],
                truncated=listed.get("has_more"), names=names, chosen_status=status, customer_id=customer_id,
                statuses=STATUSES)


@router.get("/dashboard/subscriptions/{subscription_id}")
async def subscription_page(request: Request, viewer: SignedIn, subscription_id: str):
    subscription = await viewer.api.get(f"/v1/subscriptions/{subscription_id}")
    customer_id = subscription["customer_id"]
    customer, methods, invoices = await asyncio.gather(
        viewer.api.get(f"/v1/customers/{customer_id}"),
        viewer.api.get(f"/v1/customers/{customer_id}/payment_methods"),
        viewer.api.get("/v1/invoices", customer_id=customer_id, limit=50))
    autopay = subscription["settings"].get("autopay")
    return page(request, "subscriptions/detail.html", viewer, active="subscriptions", subscription=subscription,
                customer=customer, methods=methods["data"], autopay=autopay or {},
                autopay_mode=bf.autopay_mode(autopay), timings=bf.AUTOPAY_TIMINGS, method_label=bf.method_label,
                statuses=STATUSES,
                invoices=[i for i in invoices["data"] if i.get("subscription_id") == subscription_id])


@router.post("/dashboard/subscriptions/{subscription_id}/billing")
async def save_billing(request: Request, viewer: SignedIn, subscription_id: str):
    form = await form_of(request, viewer)

    async def save():
        return await viewer.api.patch(f"/v1/subscriptions/{subscription_id}",
                                      json={"settings": {"autopay": bf.autopay_body(form)}})
    return await attempt(request, f"/dashboard/subscriptions/{subscription_id}",
                         "Billing settings saved.", save())


@router.post("/dashboard/subscriptions/{subscription_id}/status")
async def change_status(request: Request, viewer: SignedIn, subscription_id: str):
    form = await form_of(request, viewer)
    status = form.get("status")
    return await attempt(request, f"/dashboard/subscriptions/{subscription_id}",
                         f"Subscription {status}.",
                         viewer.api.patch(f"/v1/subscriptions/{subscription_id}", json={"status": status}))
