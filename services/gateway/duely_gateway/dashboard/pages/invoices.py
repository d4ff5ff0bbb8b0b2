"""Invoices: the list (status, customer, currency, due dates, search by number or customer; paged), bulk
approve / remind with a progress bar, and an invoice's page — lines, totals, the collection timeline (what
happened and what is planned), PDF, payments and attempts, and its actions: approve, void, mark uncollectible,
record a payment, refund, remind, copy the hosted link. Each action is one public API call."""

from __future__ import annotations

import asyncio
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from duely_gateway.dashboard.api_client import ApiProblem
from duely_gateway.dashboard.outcomes import attempt
from duely_gateway.dashboard.pages import billing_forms as bf
from duely_gateway.dashboard.pages.timeline import timeline
from duely_gateway.dashboard.render import page
from duely_gateway.dashboard.session import SignedIn, form_of

router = APIRouter()
STATUSES = ("draft", "open", "issued", "past_due", "paid", "void", "uncollectible")
PAGE_SIZE = 50
SCAN_PAGES = 5  # filters the API lacks (currency, text search, open) scan at most 5 pages of 100
BULK_ACTIONS = {"approve": ("approve", "Approved"), "remind": ("remind", "Reminder sent")}


def _matches(invoice: dict, status: str, currency: str, q: str) -> bool:
    if status == "open" and invoice["status"] not in ("issued", "past_due"):
        return False
    if currency and invoice["currency"].lower() != currency.lower():
        return False
    if q:
        q = q.casefold()
        customer = invoice.get("customer") or {}
        return any(q in (text or "").casefold() for text in (invoice.get("number"), invoice["id"],
                                                             customer.get("name"), customer.get("email")))
    return True


@router.get("/dashboard/invoices")
async def invoices(request: Request, viewer: SignedIn, status: str = "", customer_id: str = "", currency: str = "",
                   due_from: str = "", due_to: str = "", q: str = "", cursor: str = ""):
    status = status if status in STATUSES else ""
    params = {"status": status if status not in ("", "open") else None, "customer_id": customer_id or None,
              "due_date_gte": due_from or None, "due_date_lte": due_to or None}
    scanning = bool(currency or q.strip() or status == "open")
    rows, next_cursor, scanned = [], cursor or None, 0
    while True:
        listed = await viewer.api.get("/v1/invoices", limit=100 if scanning else PAGE_SIZE, cursor=next_cursor,
                                      **params)
        scanned += 1
        rows += [i for i in listed["data"] if _matches(i, status, currency, q.strip())]
        next_cursor = listed.get("next_cursor") if listed.get("has_more") else None
        if not scanning or not next_cursor or len(rows) >= PAGE_SIZE or scanned >= SCAN_PAGES:
            break
    customers = await viewer.api.get("/v1/customers", limit=100)
    return page(request, "invoices/list.html", viewer, active="invoices", invoices=rows, next_cursor=next_cursor,
                customers=customers["data"], statuses=STATUSES, scanning=scanning, cursor=cursor,
                here=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
                f={"status": status, "customer_id": customer_id, "currency": currency, "due_from": due_from,
                   "due_to": due_to, "q": q})


async def _or_empty(call) -> dict:
    """A list the invoice page shows beside the invoice (already found ours): empty if its service has none."""
    try:
        return await call
    except ApiProblem as problem:
        return {"data": [], "problem": problem.message if problem.status != 404 else None}


@router.get("/dashboard/invoices/{invoice_id}")
async def invoice_page(request: Request, viewer: SignedIn, invoice_id: str):
    invoice = await viewer.api.get(f"/v1/invoices/{invoice_id}")  # another organization's: the 404 page
    draft = invoice["status"] == "draft"
    collection, payments, attempts = await asyncio.gather(
        _or_empty(viewer.api.get(f"/v1/invoices/{invoice_id}/collection")) if not draft else _none(),
        _or_empty(viewer.api.get(f"/v1/invoices/{invoice_id}/payments", limit=100)),
        _or_empty(viewer.api.get(f"/v1/invoices/{invoice_id}/payment_attempts")))
    return page(request, "invoices/detail.html", viewer, active="invoices", invoice=invoice,
                collection=collection, timeline=timeline(invoice, collection), payments=payments.get("data", []),
                attempts=attempts.get("data", []), manual_methods=bf.MANUAL_METHODS,
                refund_reasons=bf.REFUND_REASONS, major=bf.major_amount, key=uuid.uuid4().hex)


async def _none():
    return None


@router.get("/dashboard/invoices/{invoice_id}/pdf")
async def invoice_pdf(viewer: SignedIn, invoice_id: str):
    """The API's PDF, passed through with the user's session (the browser never holds an API key)."""
    answer = await viewer.api.raw("GET", f"/v1/invoices/{invoice_id}/pdf")
    if answer.status_code != 200:
        try:
            error = answer.json().get("error") or {}
        except ValueError:
            error = {}
        raise ApiProblem(answer.status_code, error.get("code", ""), error.get("message") or "No PDF.")
    return Response(answer.content, media_type="application/pdf", headers={
        "Content-Disposition": answer.headers.get("content-disposition", f'inline; filename="{invoice_id}.pdf"'),
        "Cache-Control": "private, no-store"})


def _back(invoice_id: str) -> str:
    return f"/dashboard/invoices/{invoice_id}"


@router.post("/dashboard/invoices/{invoice_id}/{action}")
async def invoice_action(request: Request, viewer: SignedIn, invoice_id: str, action: str):
    """approve, void, mark_uncollectible, remind: one POST each; `key` (from the form) makes a double click
    one action."""
    form = await form_of(request, viewer)
    if action == "payments":
        return await _record_payment(request, viewer, invoice_id, form)
    if action not in ("approve", "void", "mark_uncollectible", "remind"):
        raise ApiProblem(404, "route_not_found", "No such action.")
    notices = {"approve": "Invoice approved and issued.", "void": "Invoice voided.",
               "mark_uncollectible": "Invoice marked uncollectible.", "remind": "Reminder sent."}
    return await attempt(request, _back(invoice_id), notices[action], viewer.api.post(
        f"/v1/invoices/{invoice_id}/{action}", idempotency_key=_key(form, action)))


def _key(form, action: str) -> str | None:
    key = form.get("key").strip()
    return f"dash-{action}-{key}"[:255] if key else None


async def _record_payment(request: Request, viewer, invoice_id: str, form) -> Response:
    async def record():
        invoice = await viewer.api.get(f"/v1/invoices/{invoice_id}")
        body = {"method": form.get("method") or "other",
                "amount": bf.minor_amount(form.get("amount"), invoice["currency"]),
                "reference": form.get("reference").strip() or None, "note": form.get("note").strip() or None}
        return await viewer.api.post(f"/v1/invoices/{invoice_id}/payments",
                                     json={k: v for k, v in body.items() if v is not None},
                                     idempotency_key=_key(form, "payment"))
    return await attempt(request, _back(invoice_id) + "", "Payment recorded.", record())


@router.post("/dashboard/invoices/{invoice_id}/payments/{payment_id}/refund")
async def refund(request: Request, viewer: SignedIn, invoice_id: str, payment_id: str):
    form = await form_of(request, viewer)

    async def refund_it():
        payment = await viewer.api.get(f"/v1/payments/{payment_id}")
        body = {"reason": form.get("reason") or "requested_by_customer"}
        if (amount := bf.minor_amount(form.get("amount"), payment["currency"])) is not None:
            body["amount"] = amount
        return await viewer.api.post(f"/v1/payments/{payment_id}/refunds", json=body,
                                     idempotency_key=_key(form, "refund"))
    return await attempt(request, _back(invoice_id) + "", "Refund requested.", refund_it())


@router.post("/dashboard/invoices/bulk")
async def bulk(request: Request, viewer: SignedIn):
    """Without JavaScript the bulk form posts every ticked id here: each is done in turn, each reported."""
    form = await form_of(request, viewer)
    action = form.get("action")
    if action not in BULK_ACTIONS:
        raise ApiProblem(400, "parameter_invalid", "Choose approve or remind.", "action")
    path, verb = BULK_ACTIONS[action]
    results = []
    for invoice_id in form.getlist("ids")[:100]:
        try:
            await viewer.api.post(f"/v1/invoices/{invoice_id}/{path}")
            results.append({"id": invoice_id, "ok": True, "message": verb})
        except ApiProblem as problem:
            results.append({"id": invoice_id, "ok": False, "message": problem.message})
    return page(request, "invoices/bulk.html", viewer, active="invoices", results=results, verb=verb)
