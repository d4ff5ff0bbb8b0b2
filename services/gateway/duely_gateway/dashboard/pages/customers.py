"""Customers: the list (search by name or email), a new customer, and a customer's page — its facts, invoices,
saved payment methods, Billing settings (AutoPay on/off, default method, timing), contacts and invoice settings,
and a portal sign-in link. Every change is one public API call with the user's session."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request

from duely_gateway.dashboard.api_client import ApiProblem
from duely_gateway.dashboard.outcomes import attempt, done, failed
from duely_gateway.dashboard.pages import billing_forms as bf
from duely_gateway.dashboard.render import page
from duely_gateway.dashboard.session import SignedIn, form_of

router = APIRouter()
PAGE_SIZE = 25
SCAN_LIMIT = 100  # GET /v1/customers has no cursor: the newest 100 are what the list can show and search


def _matches(customer: dict, query: str) -> bool:
    query = query.casefold()
    return query in customer.get("name", "").casefold() or query in customer.get("email", "").casefold()


@router.get("/dashboard/customers")
async def customers(request: Request, viewer: SignedIn, q: str = "", page_number: int = 1):
    listed = await viewer.api.get("/v1/customers", limit=SCAN_LIMIT)
    rows = [c for c in listed["data"] if not q or _matches(c, q.strip())]
    page_number = max(1, page_number)
    shown = rows[(page_number - 1) * PAGE_SIZE: page_number * PAGE_SIZE]
    return page(request, "customers/list.html", viewer, active="customers", customers=shown, q=q,
                page_number=page_number, has_next=len(rows) > page_number * PAGE_SIZE,
                truncated=listed.get("has_more", False))


@router.post("/dashboard/customers")
async def create_customer(request: Request, viewer: SignedIn):
    form = await form_of(request, viewer)
    body = {"name": form.get("name").strip(), "email": form.get("email").strip()}
    if currency := form.get("currency").strip():
        body["currency"] = currency
    try:
        created = await viewer.api.post("/v1/customers", json=body)
    except ApiProblem as problem:
        return failed(request, "/dashboard/customers", problem)
    return done(request, f"/dashboard/customers/{created['id']}", "Customer created.")


async def _customer_context(viewer, customer_id: str) -> dict:
    customer = await viewer.api.get(f"/v1/customers/{customer_id}")  # another organization's id: 404 page
    invoices, methods, subscriptions = await asyncio.gather(
        viewer.api.get(f"/v1/customers/{customer_id}/invoices", limit=20),
        viewer.api.get(f"/v1/customers/{customer_id}/payment_methods"),
        viewer.api.get("/v1/subscriptions", customer_id=customer_id, limit=20))
    return {"customer": customer, "invoices": invoices["data"], "more_invoices": invoices.get("has_more"),
            "methods": methods["data"], "subscriptions": subscriptions["data"],
            "autopay": customer.get("autopay") or {}, "autopay_mode": bf.autopay_mode(customer.get("autopay")),
            "timings": bf.AUTOPAY_TIMINGS, "payment_methods": bf.PAYMENT_METHODS,
            "tax_treatments": bf.TAX_TREATMENTS, "method_label": bf.method_label}


@router.get("/dashboard/customers/{customer_id}")
async def customer_page(request: Request, viewer: SignedIn, customer_id: str):
    context = await _customer_context(viewer, customer_id)
    return page(request, "customers/detail.html", viewer, active="customers", **context)


@router.post("/dashboard/customers/{customer_id}/billing")
async def save_billing(request: Request, viewer: SignedIn, customer_id: str):
    """Billing settings: AutoPay (organization default, on or off), its timing and payment method."""
    form = await form_of(request, viewer)

    async def save():
        return await viewer.api.patch(f"/v1/customers/{customer_id}", json={"autopay": bf.autopay_body(form)})
    return await attempt(request, f"/dashboard/customers/{customer_id}", "Billing settings saved.", save())


def _or_none(value: str) -> str | None:
    return value.strip() or None


@router.post("/dashboard/customers/{customer_id}/details")
async def save_details(request: Request, viewer: SignedIn, customer_id: str):
    """Contacts, cc, locale, terms, accepted methods and tax treatment; a blank override inherits."""
    form = await form_of(request, viewer)
    contact_name, contact_email = _or_none(form.get("contact_name")), _or_none(form.get("contact_email"))
    body = {
        "name": form.get("name").strip(), "email": form.get("email").strip(),
        "cc_emails": bf.lines(form.get("cc_emails")),
        "billing_contact": {"name": contact_name, "email": contact_email} if contact_name or contact_email else None,
        "phone": _or_none(form.get("phone")),
        "locale": _or_none(form.get("locale")), "payment_terms": _or_none(form.get("payment_terms")),
        "currency": _or_none(form.get("currency")),
        "accepted_payment_methods": form.getlist("accepted_payment_methods") or None,
        "tax_treatment": _or_none(form.get("tax_treatment")), "tax_id": _or_none(form.get("tax_id")),
    }
    return await attempt(request, f"/dashboard/customers/{customer_id}", "Customer saved.",
                         viewer.api.patch(f"/v1/customers/{customer_id}", json=body))


@router.post("/dashboard/customers/{customer_id}/portal_link")
async def portal_link(request: Request, viewer: SignedIn, customer_id: str):
    """A one-use portal sign-in link, shown once on the page (not put in a URL), emailed if asked."""
    form = await form_of(request, viewer)
    back = f"/dashboard/customers/{customer_id}"
    try:
        made = await viewer.api.post(f"/v1/customers/{customer_id}/portal_sessions",
                                     json={"email": form.get("email_it") == "1"})
    except ApiProblem as problem:
        if problem.status == 404:
            raise
        return failed(request, back, problem)
    context = await _customer_context(viewer, customer_id)
    notice = "Portal link created and emailed to the customer." if made.get("emailed") else "Portal link created."
    return page(request, "customers/detail.html", viewer, active="customers", portal=made, notice=notice, **context)
