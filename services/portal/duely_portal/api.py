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
from duely_runtime.links import verify_invoice_token
from duely_runtime.service import ServiceRuntime
from duely_portal import pages, service
from duely_portal.domain.page_state import parse_wait
from duely_portal.payments_client import PaymentsClient

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
                             wait: str | None = None):
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
        html = pages.render_invoice(invoice, token, payment=payment, code=code, waited=parse_wait(wait))
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
        outcome = await service.pay_hosted_invoice(
            payments, invoice, _field(form, "payment_method"), _field(form, "attempt_key"))
        query = {"payment": outcome.status}
        if outcome.failure_code:
            query["code"] = outcome.failure_code
        return RedirectResponse(f"/i/{token}?{urlencode(query)}", status_code=303, headers=PAGE_HEADERS)

    return routes


def _field(form: dict[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0].strip()
