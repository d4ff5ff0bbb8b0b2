"""Synchronous calls to other services, made only while a person waits on the page.

State still moves by events; these calls cover the moments events cannot:
the read model lagging behind a freshly emailed link, and charging a card now.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx

from duely_contracts.models import InvoiceSnapshot
from duely_runtime.auth import INTERNAL_HEADER
from duely_portal.config import Settings

log = logging.getLogger(__name__)


class UpstreamUnavailable(Exception):
    """The other service did not answer usefully; nothing can be concluded."""


@dataclass(frozen=True)
class PaymentOutcome:
    status: str  # succeeded | failed | processing (the card gateway has not answered yet)
    failure_code: str | None = None


@dataclass(frozen=True)
class PdfDownload:
    """Invoicing's PDF, still streaming: read `chunks`, then `close()` (the response's background task)."""

    filename: str
    content_length: str | None
    chunks: AsyncIterator[bytes]
    close: Callable[[], Awaitable[None]]


_FILENAME = re.compile(r'filename="([A-Za-z0-9._-]{1,100}\.pdf)"')


class Upstreams:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.headers = {INTERNAL_HEADER: settings.internal_secret}

    def _client(self, base_url: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=base_url, timeout=self.settings.upstream_timeout_s, headers=self.headers)

    async def fetch_invoice(self, organization_id: str, invoice_id: str) -> InvoiceSnapshot | None:
        """Invoicing's current snapshot, or None when it does not know the invoice."""
        try:
            async with self._client(self.settings.invoicing_url) as client:
                response = await client.get(f"/internal/invoices/{invoice_id}",
                                            params={"organization_id": organization_id})
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(f"invoicing: {exc!r}") from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise UpstreamUnavailable(f"invoicing answered {response.status_code}")
        body = response.json()
        # The snapshot itself, or wrapped as {"invoice": snapshot} like the events carry it.
        return InvoiceSnapshot.model_validate(body["invoice"] if isinstance(body.get("invoice"), dict) else body)

    async def invoice_pdf(self, organization_id: str, invoice_id: str) -> PdfDownload | None:
        """Invoicing's current PDF of the invoice (once paid, its receipt), or None when it does not know it."""
        client = self._client(self.settings.invoicing_url)
        try:
            response = await client.send(client.build_request(
                "GET", f"/internal/invoices/{invoice_id}/pdf", params={"organization_id": organization_id}),
                stream=True)
        except httpx.HTTPError as exc:
            await client.aclose()
            raise UpstreamUnavailable(f"invoicing: {exc!r}") from exc

        async def close() -> None:
            await response.aclose()
            await client.aclose()

        media_type = response.headers.get("content-type", "").split(";")[0].strip()
        if response.status_code != 200 or media_type != "application/pdf":
            await close()
            if response.status_code == 404:
                return None
            raise UpstreamUnavailable(f"invoicing answered {response.status_code} for the PDF")
        named = _FILENAME.search(response.headers.get("content-disposition", ""))
        # aiter_bytes undoes any Content-Encoding, so the length holds only for an unencoded body.
        length = None if response.headers.get("content-encoding") else response.headers.get("content-length")
        return PdfDownload(named.group(1) if named else f"{invoice_id}.pdf", length, response.aiter_bytes(), close)

    async def pay_invoice(self, organization_id: str, invoice_id: str, payment_method: str,
                          idempotency_key: str) -> PaymentOutcome:
        """Ask payments to charge now. The key makes a double-submitted form charge once."""
        try:
            async with self._client(self.settings.payments_url) as client:
                response = await client.post(
                    f"/internal/invoices/{invoice_id}/pay",
                    json={"organization_id": organization_id, "payment_method": payment_method},
                    headers={"Idempotency-Key": idempotency_key})
        except httpx.HTTPError as exc:
            log.warning("payments unreachable", extra={"invoice_id": invoice_id, "error": repr(exc)})
            return PaymentOutcome("failed", "payment_service_unavailable")
        if response.status_code >= 500:
            log.warning("payments failed", extra={"invoice_id": invoice_id, "status": response.status_code})
            return PaymentOutcome("failed", "payment_service_unavailable")
        body = _json(response)
        if response.status_code >= 400:
            error = body.get("error") or {}
            code = error.get("code") or "payment_failed"
            if code == "idempotency_key_in_use":
                code = "payment_in_progress"
            # A decline says why in the attempt's customer-safe reason (Stripe keeps insufficient funds
            # in decline_code, not code): the notice then says what the history row says.
            attempt = error.get("payment_attempt") or {}
            return PaymentOutcome("failed", attempt.get("failure_reason") or code)
        if body.get("status") in ("succeeded", "processing"):
            return PaymentOutcome(body["status"])
        return PaymentOutcome("failed", body.get("failure_reason") or body.get("failure_code") or "payment_failed")


def _json(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
