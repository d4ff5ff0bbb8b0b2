"""The hosted invoice page: no login, an unguessable signed token in the URL.

Routes are relative to the public base URL (the gateway forwards /i/... here),
so the page's form and redirects use absolute paths, never this service's port.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from duely_runtime.invoicing_client import InvoicingClient, InvoicingUnavailable
from duely_contracts.models import InvoiceSnapshot
from duely_runtime.kit.clock import utcnow
from duely_runtime.links import PAYMENT_METHOD_UPDATE_PATH, verify_invoice_token, verify_payment_method_update_token
from duely_runtime.service import ServiceRuntime
from duely_portal import pages, repository, service, update_pages
from duely_portal.domain.presentation import is_known_card_to_save
from duely_portal.domain.page_state import parse_wait
from duely_portal.payments_client import PaymentsClient, PaymentsUnavailable

log = logging.getLogger(__name__)
MAX_FORM_BYTES = 4096
# The token in the URL is the only key to the page: keep it out of Referer headers and
# caches, and keep the pay button out of other sites' frames.
PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"}
# The pages also name it inline; this answers browsers (and people) that ask the path anyway.
FAVICON = (Path(__file__).parent / "templates" / "favicon.svg").read_bytes()


def router(runtime: ServiceRuntime, invoicing: InvoicingClient, payments: PaymentsClient) -> APIRouter:
    routes = APIRouter()
    settings = runtime.settings

    def not_found() -> HTMLResponse:
        return HTMLResponse(pages.render_message(settings.locale, "page_not_found_title", "page_not_found_message"),
                            404, headers=PAGE_HEADERS)

    def unavailable() -> HTMLResponse:
        return HTMLResponse(pages.render_message(settings.locale, "page_unavailable_title",
                                                 "page_unavailable_message"),
                            503, headers={**PAGE_HEADERS, "Retry-After": "30"})

    @routes.get("/i/{token}", response_class=HTMLResponse, include_in_schema=False)
    async def hosted_invoice(token: str, payment: str | None = None, code: str | None = None,
                             wait: str | None = None, attempt: str | None = None):
        ids = verify_invoice_token(settings.hosted_link_secret, token)
        if ids is None:
            return not_found()
        organization_id, invoice_id = ids
        try:
            invoice = await service.open_invoice(runtime.db, invoicing, organization_id, invoice_id)
        except InvoicingUnavailable as exc:
            log.warning("invoice not in read model and invoicing unavailable",
                        extra={"invoice_id": invoice_id, "error": exc.detail})
            return unavailable()
        if invoice is None:
            return not_found()
        await service.record_view(runtime.db, runtime.outbox, invoice)
        html = pages.render_invoice(invoice, token, payment=payment, code=code, waited=parse_wait(wait),
                                    attempt=int(attempt) if attempt and attempt.isdigit() and len(attempt) <= 6 else None,
                                    gateway=(settings.stripe_publishable_key, settings.stripe_public_api_base))
        return HTMLResponse(html, headers=PAGE_HEADERS)

    @routes.get("/i/{token}/pdf", include_in_schema=False)
    async def invoice_pdf(token: str):
        """The invoice's PDF from invoicing, streamed through; once paid, it is the receipt."""
        ids = verify_invoice_token(settings.hosted_link_secret, token)
        if ids is None:
            return not_found()
        try:
            # No PDF of a draft or of an invoice we can't show.
            if await service.open_invoice(runtime.db, invoicing, *ids) is None:
                return not_found()
            download = await invoicing.invoice_pdf(*ids)
        except InvoicingUnavailable as exc:
            log.warning("invoice PDF unavailable", extra={"invoice_id": ids[1], "error": exc.detail})
            return unavailable()
        if download is None:
            return not_found()
        headers = {**PAGE_HEADERS, "Content-Disposition": f'attachment; filename="{download.filename}"'}
        if download.content_length:
            headers["Content-Length"] = download.content_length
        return StreamingResponse(download.chunks, media_type="application/pdf", headers=headers,
                                 background=BackgroundTask(download.close))

    @routes.get("/favicon.ico", include_in_schema=False)
    async def favicon():
        return Response(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})

    @routes.post("/i/{token}/pay", include_in_schema=False)
    async def pay(token: str, request: Request):
        ids = verify_invoice_token(settings.hosted_link_secret, token)
        if ids is None:
            return not_found()
        body = await request.body()
        form = parse_qs(body[:MAX_FORM_BYTES].decode(errors="replace"))
        try:
            invoice = await service.open_invoice(runtime.db, invoicing, *ids)
        except InvoicingUnavailable:
            return unavailable()
        if invoice is None:
            return not_found()
        debit = _field(form, "debit_type")
        if debit:  # a bank debit: the page's script created the PaymentMethod at the gateway
            outcome = await service.pay_hosted_invoice_by_debit(
                payments, invoice, debit, _field(form, "payment_method"), _field(form, "attempt_key"),
                mandate_accepted=_field(form, "mandate_accepted") == "yes", ip_address=client_address(request),
                user_agent=request.headers.get("user-agent", ""), accepted_at=int(utcnow().timestamp()))
        else:
            outcome = await service.pay_hosted_invoice(
                payments, invoice, _field(form, "payment_method"), _field(form, "attempt_key"))
        query = {"payment": outcome.status}
        if debit and outcome.status == "processing" and outcome.attempt_number:
            # Settles in days: the page follows this attempt (processing, then paid, or failed and payable again).
            query = {"payment": "debit", "attempt": str(outcome.attempt_number)}
        if outcome.failure_code:
            query["code"] = outcome.failure_code
        return RedirectResponse(f"/i/{token}?{urlencode(query)}", status_code=303, headers=PAGE_HEADERS)

    # -- the card update page (the link in the payment_method_expiring email) -----------------------

    def link_page(status: int, title_key: str, message_key: str, *, locale: str | None = None,
                  brand: update_pages.Branding | None = None) -> HTMLResponse:
        html = update_pages.render_update_message(locale or settings.locale, title_key, message_key,
                                                  company=brand.company if brand else None,
                                                  accent=brand.accent if brand else None)
        headers = {**PAGE_HEADERS, "Retry-After": "30"} if status == 503 else PAGE_HEADERS
        return HTMLResponse(html, status, headers=headers)

    def link_invalid() -> HTMLResponse:
        return link_page(404, "page_update_invalid_title", "page_update_invalid_message")

    def link_unavailable() -> HTMLResponse:
        return link_page(503, "page_update_unavailable_title", "page_update_unavailable_message")

    async def open_update_link(token: str):
        """(link, context, branding) for a genuine, unexpired link to one of the customer's methods; else the
        page to answer (not valid 404, expired 410, unavailable 503)."""
        link = verify_payment_method_update_token(settings.hosted_link_secret, token)
        if link is None:
            return link_invalid()
        try:
            context = await payments.payment_method_context(link.organization_id, link.customer_id,
                                                            link.payment_method_id)
        except PaymentsUnavailable as exc:
            log.warning("card update page: payments unavailable", extra={"error": str(exc)})
            return link_unavailable()
        if context is None:
            return link_invalid()
        async with runtime.db.transaction() as session:
            row = await repository.latest_customer_invoice(session, link.organization_id, link.customer_id)
            snapshot = InvoiceSnapshot.model_validate_json(row.snapshot) if row is not None else None
        brand = update_pages.branding(snapshot, context.get("organization_name"))
        if link.expired(utcnow()):
            return link_page(410, "page_update_expired_title", "page_update_expired_message",
                             locale=context["customer"].get("locale") or brand.locale, brand=brand)
        return link, context, brand

    @routes.get(PAYMENT_METHOD_UPDATE_PATH + "/{token}", response_class=HTMLResponse, include_in_schema=False)
    async def payment_method_update(token: str, saved: str | None = None, error: str | None = None):
        opened = await open_update_link(token)
        if isinstance(opened, HTMLResponse):
            return opened
        link, context, brand = opened
        saved_method = None
        if saved and len(saved) <= 255:  # the confirmation names the new card: only one of this customer's
            try:
                found = await payments.payment_method_context(link.organization_id, link.customer_id, saved)
            except PaymentsUnavailable:
                found = None
            saved_method = found["payment_method"] if found else None
        failure = error if error and error.isidentifier() and len(error) <= 64 else None
        html = update_pages.render_update(token, context, brand, settings.locale, saved=saved_method,
                                          failure_code=None if saved_method else failure)
        return HTMLResponse(html, headers=PAGE_HEADERS)

    @routes.post(PAYMENT_METHOD_UPDATE_PATH + "/{token}", include_in_schema=False)
    async def save_payment_method(token: str, request: Request):
        # As the hosted page's pay form: the signed token in the path is the key (kept out of Referer
        # headers, the page out of frames), and a key per rendered form makes a double submit one save.
        # Browsers also say when a form comes from another site: refused.
        if request.headers.get("sec-fetch-site") == "cross-site":
            return link_invalid()
        opened = await open_update_link(token)
        if isinstance(opened, HTMLResponse):
            return opened
        link, _, _ = opened
        body = await request.body()
        form = parse_qs(body[:MAX_FORM_BYTES].decode(errors="replace"))
        choice, form_key = _field(form, "payment_method"), _field(form, "form_key")
        here = f"{PAYMENT_METHOD_UPDATE_PATH}/{token}"
        if not is_known_card_to_save(choice) or not form_key or len(form_key) > 64:
            return RedirectResponse(f"{here}?error=form_invalid", status_code=303, headers=PAGE_HEADERS)
        outcome = await payments.save_payment_method(
            link.organization_id, link.customer_id, choice, link.payment_method_id,
            idempotency_key=f"pmupdate:{link.organization_id}:{link.customer_id}:{form_key}")
        if outcome.failure_code == "not_found":
            return link_invalid()
        if outcome.method is None:
            return RedirectResponse(f"{here}?{urlencode({'error': outcome.failure_code})}", status_code=303,
                                    headers=PAGE_HEADERS)
        return RedirectResponse(f"{here}?{urlencode({'saved': outcome.method['id']})}", status_code=303,
                                headers=PAGE_HEADERS)

    return routes


def client_address(request: Request) -> str:
    """The customer's address, for a debit mandate's evidence. Behind Duely's gateway (the public base URL)
    it is the entry the gateway appended to X-Forwarded-For (the rightmost: earlier entries are whatever the
    client claimed); reached directly, the connection's peer."""
    forwarded = request.headers.get("x-forwarded-for", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if hops:
        return hops[-1]
    return request.client.host if request.client else ""


def _field(form: dict[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0].strip()
