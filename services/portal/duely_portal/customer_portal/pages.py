"""The customer portal's pages under /portal (the gateway forwards /portal/... here).

A session cookie (HttpOnly, SameSite=Lax, Secure in production, path /portal) names the signed-in customer;
every form carries the session's CSRF token and a POST without it (or from another site) is refused. Every
id in a path is looked up within the session's customer and organization: anything else is a 404.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from duely_contracts.models import InvoiceSnapshot
from duely_runtime.invoicing_client import InvoicingClient, InvoicingUnavailable
from duely_runtime.links import verify_invoice_token
from duely_runtime.service import ServiceRuntime
from duely_portal import pages as hosted_pages, service as hosted
from duely_portal.api import PAGE_HEADERS, client_address
from duely_portal.customer_portal import render, service
from duely_portal.customer_portal.service import Viewer
from duely_portal.customer_portal.upstream import PortalUpstream, UpstreamUnavailable
from duely_portal.domain import portal_rules as rules

log = logging.getLogger(__name__)
COOKIE = "duely_portal_session"
MAX_FORM_BYTES = 16384
MAX_REFRESHES = 15  # after paying, the list reloads itself until the read model has the invoices paid


def router(runtime: ServiceRuntime, invoicing: InvoicingClient, upstream: PortalUpstream) -> APIRouter:
    routes = APIRouter(include_in_schema=False)
    settings = runtime.settings
    db, outbox = runtime.db, runtime.outbox

    def page(html: str, status: int = 200) -> HTMLResponse:
        headers = {**PAGE_HEADERS, "Retry-After": "30"} if status == 503 else PAGE_HEADERS
        return HTMLResponse(html, status, headers=headers)

    def plain_frame() -> render.Frame:
        return render.frame(None, fallback_locale=settings.locale)

    def unavailable() -> HTMLResponse:
        fr = plain_frame()
        return page(render.message_page(fr, fr.L["page_unavailable_title"], fr.L["page_unavailable_message"]), 503)

    def session_ended() -> HTMLResponse:
        fr = plain_frame()
        response = page(render.message_page(fr, fr.L["portal_session_ended_title"],
                                            fr.L["portal_session_ended_message"], status_id="session-ended"), 401)
        response.delete_cookie(COOKIE, path="/portal")
        return response

    def not_found(fr: render.Frame) -> HTMLResponse:
        return page(render.message_page(fr, fr.L["portal_not_found_title"], fr.L["portal_not_found_message"],
                                        status_id="not-found"), 404)

    def redirect(url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303, headers=PAGE_HEADERS)

    async def form_of(request: Request) -> dict[str, list[str]]:
        body = await request.body()
        return parse_qs(body[:MAX_FORM_BYTES].decode(errors="replace"))

    async def signed_in(request: Request, *, form: dict | None = None):
        """(viewer, frame) of the session; else the page to answer (session ended 401, CSRF refused 403,
        unavailable 503). A POST must carry the session's CSRF token and not come from another site."""
        viewer = await service.viewer_of(db, settings, request.cookies.get(COOKIE))
        if viewer is None:
            return session_ended()
        if form is not None:
            if request.headers.get("sec-fetch-site") == "cross-site" or \
                    not rules.same_secret(_field(form, "csrf_token"), viewer.csrf_token):
                fr = plain_frame()
                return page(render.message_page(fr, fr.L["portal_csrf_title"], fr.L["portal_csrf_message"],
                                                status_id="csrf-refused"), 403)
        try:
            context = await upstream.portal_context(viewer.organization_id, viewer.customer_id)
        except UpstreamUnavailable:
            return unavailable()
        if context is None:  # the customer is gone at invoicing
            return session_ended()
        fr = render.frame(context, viewer.csrf_token, viewer.return_url, settings.locale)
        return viewer, fr, context

    # -- the magic link ---------------------------------------------------------------------------

    @routes.get("/portal/login/{token}", response_class=HTMLResponse)
    async def login(token: str):
        opened = await service.open_link(db, outbox, settings, token)
        if opened.state == "valid":
            response = redirect("/portal")
            response.set_cookie(COOKIE, opened.cookie, max_age=settings.session_max_s, path="/portal",
                                httponly=True, samesite="lax", secure=settings.secure_cookies)
            return response
        return await link_refused(token, opened)

    async def link_refused(token: str, opened: service.Opened, note: dict | None = None,
                           status: int | None = None) -> HTMLResponse:
        """Expired or used: a friendly page offering a new link by email. Unknown: a page saying so."""
        context = None
        if opened.row is not None:
            try:
                context = await upstream.portal_context(opened.row.organization_id, opened.row.customer_id)
            except UpstreamUnavailable:
                context = None
        fr = render.frame(context, fallback_locale=settings.locale)
        L = fr.L
        if opened.row is None or context is None or opened.state == "revoked":
            message = L["portal_link_invalid_message" if fr.company else "portal_link_invalid_message_plain"]
            return page(render.message_page(fr, L["portal_link_invalid_title"], message.format(company=fr.company),
                                            status_id="link-invalid"), status or 404)
        title = L["portal_link_used_title" if opened.state == "used" else "portal_link_expired_title"]
        form = {"action": f"/portal/login/{token}/new_link", "button": L["portal_request_link"],
                "csrf": rules.form_token(settings.hosted_link_secret, "new_link", token)}
        return page(render.message_page(fr, title, L["portal_link_expired_message"], form=form, note=note,
                                        status_id="link-expired"), status or 410)

    @routes.post("/portal/login/{token}/new_link")
    async def new_link_from_expired(token: str, request: Request):
        form = await form_of(request)
        if request.headers.get("sec-fetch-site") == "cross-site" or not rules.same_secret(
                _field(form, "csrf_token"), rules.form_token(settings.hosted_link_secret, "new_link", token)):
            fr = plain_frame()
            return page(render.message_page(fr, fr.L["portal_csrf_title"], fr.L["portal_csrf_message"],
                                            status_id="csrf-refused"), 403)
        async with db.transaction() as session:
            from duely_portal.customer_portal import repository
            row = await repository.session_by_link(session, rules.hash_secret(token)) if len(token) <= 128 else None
        if row is None or (row.revoked_at is not None and row.redeemed_at is None):
            return await link_refused(token, service.Opened("unknown"))
        return await send_link(request, row.organization_id, row.customer_id,
                               lambda note, status: link_refused(token, service.Opened("expired", row), note, status))

    async def send_link(request: Request, organization_id: str, customer_id: str, again):
        try:
            outcome = await service.request_new_link(db, outbox, upstream, settings, organization_id, customer_id,
                                                     client_address(request))
            context = await upstream.portal_context(organization_id, customer_id)
        except UpstreamUnavailable:
            return unavailable()
        fr = render.frame(context, fallback_locale=settings.locale)
        L = fr.L
        if outcome == "rate_limited":
            return await again(render.notice("bad", L["portal_link_rate_limited"], "link-outcome"), 429)
        if outcome == "no_email":
            return await again(render.notice("bad", L["portal_link_no_email"].format(company=fr.company),
                                             "link-outcome"), 400)
        if outcome == "unknown" or context is None:
            return not_found(fr)
        email = rules.masked_email(context["customer"]["email"])
        return page(render.message_page(fr, L["portal_link_sent_title"], L["portal_link_sent"].format(
            email=email, minutes=settings.magic_link_ttl_s // 60), status_id="link-sent"))

    # -- from the hosted invoice page -------------------------------------------------------------

    async def hosted_customer(token: str):
        ids = verify_invoice_token(settings.hosted_link_secret, token)
        if ids is None:
            return None
        try:
            invoice = await hosted.open_invoice(db, invoicing, *ids)
        except InvoicingUnavailable:
            raise UpstreamUnavailable("invoicing")
        return (invoice.snapshot.organization_id, invoice.snapshot.customer.id) if invoice else None

    @routes.get("/portal/access/{token}", response_class=HTMLResponse)
    async def access(token: str):
        """Offer to email a sign-in link to the customer's address on file: a hosted link may be forwarded,
        so it never opens a session itself."""
        try:
            found = await hosted_customer(token)
            context = await upstream.portal_context(*found) if found else None
        except UpstreamUnavailable:
            return unavailable()
        fr = render.frame(context, fallback_locale=settings.locale)
        if context is None:
            return not_found(fr)
        return access_page(token, fr, context)

    def access_page(token: str, fr: render.Frame, context: dict, note: dict | None = None,
                    status: int = 200) -> HTMLResponse:
        L = fr.L
        email = context["customer"].get("email") or ""
        form = {"action": f"/portal/access/{token}", "button": L["portal_access_button"],
                "csrf": rules.form_token(settings.hosted_link_secret, "access", token)} if email else None
        message = L["portal_access_message"].format(company=fr.company, email=rules.masked_email(email)) if email \
            else L["portal_link_no_email"].format(company=fr.company)
        return page(render.message_page(fr, L["portal_access_title"], message, form=form, note=note,
                                        status_id="portal-access"), status)

    @routes.post("/portal/access/{token}")
    async def access_send(token: str, request: Request):
        form = await form_of(request)
        if request.headers.get("sec-fetch-site") == "cross-site" or not rules.same_secret(
                _field(form, "csrf_token"), rules.form_token(settings.hosted_link_secret, "access", token)):
            fr = plain_frame()
            return page(render.message_page(fr, fr.L["portal_csrf_title"], fr.L["portal_csrf_message"],
                                            status_id="csrf-refused"), 403)
        try:
            found = await hosted_customer(token)
            context = await upstream.portal_context(*found) if found else None
        except UpstreamUnavailable:
            return unavailable()
        if context is None:
            return not_found(render.frame(None, fallback_locale=settings.locale))

        async def again(note, status):
            return access_page(token, render.frame(context, fallback_locale=settings.locale), context, note, status)
        return await send_link(request, *found, again)

    # -- the session's pages ----------------------------------------------------------------------

    @routes.get("/portal", response_class=HTMLResponse)
    async def invoices(request: Request, paid: str | None = None, error: str | None = None,
                       wait: str | None = None):
        found = await signed_in(request)
        if isinstance(found, Response):
            return found
        viewer, fr, context = found
        try:
            snapshots = await service.invoices_of(db, upstream, viewer,
                                                  bool((context.get("portal") or {}).get("show_drafts")))
            methods = await upstream.payment_methods(viewer.organization_id, viewer.customer_id)
        except UpstreamUnavailable:
            return unavailable()
        note, refresh = _after_paying(fr, snapshots, paid, error, wait, "/portal")
        return page(render.invoices_page(fr, snapshots, methods, note=note, refresh_url=refresh))

    @routes.get("/portal/invoices/{invoice_id}", response_class=HTMLResponse)
    async def invoice(invoice_id: str, request: Request, paid: str | None = None, error: str | None = None,
                      wait: str | None = None):
        found = await signed_in(request)
        if isinstance(found, Response):
            return found
        viewer, fr, context = found
        snapshot, history = await _invoice_for(viewer, invoice_id, context)
        if snapshot is None:
            return not_found(fr)
        if snapshot.status != "draft":
            found_invoice = await hosted.open_invoice(db, invoicing, viewer.organization_id, invoice_id)
            if found_invoice is not None:
                await hosted.record_view(db, outbox, found_invoice)  # invoice.viewed: the first view only
        try:
            methods = await upstream.payment_methods(viewer.organization_id, viewer.customer_id)
        except UpstreamUnavailable:
            return unavailable()
        note, refresh = _after_paying(fr, [snapshot], paid, error, wait, f"/portal/invoices/{invoice_id}")
        html = render.invoice_page(fr, snapshot, history, methods, note=note)
        if refresh:
            html = html.replace("<head>", f'<head>\n<meta http-equiv="refresh" content="2;url={refresh}">', 1)
        return page(html)

    async def _invoice_for(viewer: Viewer, invoice_id: str, context: dict):
        """(snapshot, payment history lines) of the customer's invoice (a draft only when drafts are shown)."""
        row = await service.invoice_of(db, viewer, invoice_id)
        if row is not None:
            invoice = await hosted.open_invoice(db, invoicing, viewer.organization_id, invoice_id)
            if invoice is None:
                return None, []
            view = hosted_pages.build_view(hosted_pages.from_snapshot(invoice.snapshot))
            return invoice.snapshot, hosted_pages._payment_history(invoice, view)
        if (context.get("portal") or {}).get("show_drafts") and rules.plausible_id(invoice_id):
            try:
                drafts = await upstream.draft_invoices(viewer.organization_id, viewer.customer_id)
            except UpstreamUnavailable:
                drafts = []
            draft = next((d for d in drafts if d.id == invoice_id), None)
            return draft, []
        return None, []

    @routes.get("/portal/invoices/{invoice_id}/pdf")
    async def invoice_pdf(invoice_id: str, request: Request):
        viewer = await service.viewer_of(db, settings, request.cookies.get(COOKIE))
        if viewer is None:
            return session_ended()
        if await service.invoice_of(db, viewer, invoice_id) is None:
            return not_found(plain_frame())
        try:
            download = await invoicing.invoice_pdf(viewer.organization_id, invoice_id)
        except InvoicingUnavailable:
            return unavailable()
        if download is None:
            return not_found(plain_frame())
        headers = {**PAGE_HEADERS, "Content-Disposition": f'attachment; filename="{download.filename}"'}
        if download.content_length:
            headers["Content-Length"] = download.content_length
        return StreamingResponse(download.chunks, media_type="application/pdf", headers=headers,
                                 background=BackgroundTask(download.close))

    @routes.post("/portal/pay")
    async def pay(request: Request):
        form = await form_of(request)
        found = await signed_in(request, form=form)
        if isinstance(found, Response):
            return found
        viewer, fr, context = found
        back = "/portal"
        if _field(form, "back") == "invoice" and len(form.get("invoice_ids") or []) == 1:
            back = f"/portal/invoices/{_field(form, 'invoice_ids')}"
        ids = [i.strip() for i in form.get("invoice_ids") or []]
        if _field(form, "scope") == "all":
            snapshots = await service.invoices_of(db, upstream, viewer, False)
            ids = [s.id for s in snapshots if rules.is_open(s.status, s.amount_due)]
        try:
            outcome = await service.pay(db, upstream, viewer, ids, _field(form, "payment_method"),
                                        _field(form, "form_key"))
        except UpstreamUnavailable:
            return redirect(f"{back}?{urlencode({'error': 'payment_service_unavailable'})}")
        if outcome is None:
            return not_found(fr)
        if outcome.status in ("succeeded", "processing"):
            return redirect(f"{back}?{urlencode({'paid': ','.join(outcome.invoice_ids), 'wait': '0'})}")
        return redirect(f"{back}?{urlencode({'error': outcome.failure_code or 'payment_failed'})}")

    @routes.get("/portal/payments", response_class=HTMLResponse)
    async def payments(request: Request):
        found = await signed_in(request)
        if isinstance(found, Response):
            return found
        viewer, fr, _ = found
        history, refunds = await service.history_of(db, viewer)
        return page(render.payments_page(fr, history, refunds))

    @routes.get("/portal/receipts/{payment_id}")
    async def receipt(payment_id: str, request: Request):
        from duely_presentation.receipt import render_receipt_pdf
        viewer = await service.viewer_of(db, settings, request.cookies.get(COOKIE))
        if viewer is None:
            return session_ended()
        found = await service.receipt_of(db, viewer, payment_id)
        if found is None:
            return not_found(plain_frame())
        pdf = await asyncio.to_thread(render_receipt_pdf, found)
        return Response(pdf, media_type="application/pdf", headers={
            **PAGE_HEADERS, "Content-Disposition": f'attachment; filename="{found.filename}"'})

    # -- payment methods --------------------------------------------------------------------------

    @routes.get("/portal/payment_methods", response_class=HTMLResponse)
    async def payment_methods(request: Request, saved: str | None = None, default: str | None = None,
                              removed: str | None = None, error: str | None = None):
        found = await signed_in(request)
        if isinstance(found, Response):
            return found
        viewer, fr, context = found
        try:
            methods = await upstream.payment_methods(viewer.organization_id, viewer.customer_id)
        except UpstreamUnavailable:
            return unavailable()
        return page(render.methods_page(fr, methods, note=_methods_notice(fr, methods, saved, default, removed,
                                                                          error),
                                        bank=_bank_form(fr, context)))

    def _bank_form(fr: render.Frame, context: dict) -> dict | None:
        accepted = context.get("accepted_payment_methods") or []
        kind = "sepa_debit" if "sepa_debit" in accepted else "us_bank_account" if "ach_debit" in accepted else None
        if kind is None:
            return None
        L = fr.L
        return {"type": kind, "title": "SEPA" if kind == "sepa_debit" else "ACH",
                "mandate": L["portal_bank_mandate"].format(company=fr.company),
                "accept": L["page_debit_accept_sepa" if kind == "sepa_debit" else "page_debit_accept_ach"],
                "config": {"key": settings.stripe_publishable_key, "api": settings.stripe_public_api_base.rstrip("/"),
                           "type": kind, "email": (context.get("customer") or {}).get("email") or "",
                           "error": L["page_debit_error"]}}

    @routes.post("/portal/payment_methods")
    async def add_method(request: Request):
        form = await form_of(request)
        found = await signed_in(request, form=form)
        if isinstance(found, Response):
            return found
        viewer, fr, _ = found
        try:
            if _field(form, "bank_payment_method"):
                method, code = await service.add_bank_account(
                    upstream, viewer, _field(form, "bank_payment_method"), _field(form, "form_key"),
                    mandate_accepted=_field(form, "mandate_accepted") == "yes",
                    mandate_text=_field(form, "mandate_text")[:1000], ip_address=client_address(request),
                    user_agent=request.headers.get("user-agent", ""))
            else:
                method, code = await service.add_card(upstream, viewer, _field(form, "payment_method"),
                                                      _field(form, "form_key"))
        except UpstreamUnavailable:
            method, code = None, "payment_service_unavailable"
        if method is None:
            return redirect(f"/portal/payment_methods?{urlencode({'error': code})}")
        return redirect(f"/portal/payment_methods?{urlencode({'saved': method['id']})}")

    @routes.post("/portal/payment_methods/{method_id}/default")
    async def make_default(method_id: str, request: Request):
        form = await form_of(request)
        found = await signed_in(request, form=form)
        if isinstance(found, Response):
            return found
        viewer, fr, _ = found
        try:
            code = await service.make_default(upstream, viewer, method_id)
        except UpstreamUnavailable:
            code = "payment_service_unavailable"
        if code == "not_found":
            return not_found(fr)
        query = {"error": code} if code else {"default": method_id}
        return redirect(f"/portal/payment_methods?{urlencode(query)}")

    @routes.post("/portal/payment_methods/{method_id}/remove")
    async def remove(method_id: str, request: Request):
        form = await form_of(request)
        found = await signed_in(request, form=form)
        if isinstance(found, Response):
            return found
        viewer, fr, context = found
        try:
            code, method = await service.remove_method(upstream, viewer, method_id, context)
        except UpstreamUnavailable:
            code, method = "payment_service_unavailable", None
        if code == "not_found":
            return not_found(fr)
        query = {"error": code} if code else {"removed": render.method_name(fr.L, method)}
        return redirect(f"/portal/payment_methods?{urlencode(query)}")

    # -- AutoPay ----------------------------------------------------------------------------------

    @routes.get("/portal/autopay", response_class=HTMLResponse)
    async def autopay(request: Request, saved: str | None = None, error: str | None = None):
        found = await signed_in(request)
        if isinstance(found, Response):
            return found
        _, fr, context = found
        note = None
        if saved in ("on", "off"):
            note = render.notice("ok", fr.L[f"portal_autopay_saved_{saved}"], "autopay-outcome")
        elif error:
            note = render.notice("bad", render.failure_text(fr, _code(error)), "autopay-outcome")
        return page(render.autopay_page(fr, context, note=note))

    @routes.post("/portal/autopay")
    async def save_autopay(request: Request):
        form = await form_of(request)
        found = await signed_in(request, form=form)
        if isinstance(found, Response):
            return found
        viewer, fr, context = found
        enabled = _field(form, "enabled") == "yes"
        try:
            code = await service.set_autopay(upstream, viewer, context, enabled=enabled,
                                             timing=_field(form, "timing") or "on_issue",
                                             days_before_due=_field(form, "days_before_due"))
        except UpstreamUnavailable:
            code = "payment_service_unavailable"
        query = {"error": code} if code else {"saved": "on" if enabled else "off"}
        return redirect(f"/portal/autopay?{urlencode(query)}")

    @routes.post("/portal/logout")
    async def logout(request: Request):
        form = await form_of(request)
        found = await signed_in(request, form=form)
        if isinstance(found, Response):
            return found
        viewer, fr, _ = found
        await service.sign_out(db, viewer)
        response = page(render.message_page(fr, fr.L["portal_signed_out_title"], fr.L["portal_signed_out_message"],
                                            status_id="signed-out"))
        response.delete_cookie(COOKIE, path="/portal")
        return response

    return routes


def _after_paying(fr: render.Frame, snapshots: list[InvoiceSnapshot], paid: str | None, error: str | None,
                  wait: str | None, here: str) -> tuple[dict | None, str | None]:
    """The notice after the pay call, and a self-refresh while the read model has not heard the invoices
    paid yet (the charge answered before the events arrived)."""
    if error:
        return render.notice("bad", render.failure_text(fr, _code(error)), "payment-outcome"), None
    if not paid:
        return None, None
    ids = set(paid.split(",")[:50])
    pending = [s for s in snapshots if s.id in ids and rules.is_open(s.status, s.amount_due)]
    waited = int(wait) if wait and wait.isdigit() and len(wait) <= 3 else MAX_REFRESHES
    if pending and waited < MAX_REFRESHES:
        refresh = f"{here}?{urlencode({'paid': paid, 'wait': str(waited + 1)})}"
        return render.notice("info", fr.L["portal_processing_notice"], "payment-outcome"), refresh
    return render.notice("ok", fr.L["portal_paid_notice"], "payment-outcome"), None


def _methods_notice(fr: render.Frame, methods: list[dict], saved, default, removed, error) -> dict | None:
    L = fr.L
    named = {m["id"]: render.method_name(L, m) for m in methods}
    if saved and saved in named:
        return render.notice("ok", L["portal_method_saved"].format(method=named[saved]), "method-outcome")
    if default and default in named:
        return render.notice("ok", L["portal_method_default_set"].format(method=named[default]), "method-outcome")
    if removed is not None:
        return render.notice("ok", L["portal_method_removed"].format(method=removed[:80]), "method-outcome")
    if error:
        return render.notice("bad", render.failure_text(fr, _code(error)), "method-outcome")
    return None


def _code(value: str) -> str:
    return value if value.isidentifier() and len(value) <= 64 else "form_invalid"


def _field(form: dict[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0].strip()
