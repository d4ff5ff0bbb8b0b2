"""The invoice's PDF for an email attachment, fetched from invoicing when the email is sent.

`GET /internal/invoices/{id}/pdf?organization_id=` (internal secret) answers the invoice's current
PDF: the one the customer would download now, so a receipt carries the paid invoice. It is read
up to a size limit (`email_attachment_max_bytes`); above it the email carries the link only. When
invoicing is unreachable or fails, the email waits for its next attempt rather than going out
without the PDF that was promised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

from duely_runtime.auth import INTERNAL_HEADER
from duely_runtime.kit.tls import default_tls

_FILENAME = re.compile(r'filename="([^"]+)"')


@dataclass(frozen=True)
class InvoicePdf:
    filename: str
    content: bytes
    version: int | None  # the invoice version it shows (X-Invoice-Version)


@dataclass(frozen=True)
class TooLarge:
    size: int  # bytes read before giving up (more than the limit)


class PdfUnavailable(Exception):
    """No PDF now. `permanent`: asking again can't help (invoicing doesn't know the invoice)."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


class InvoicePdfs:
    def __init__(self, invoicing_url: str, internal_secret: str, *, max_bytes: int, timeout_s: float) -> None:
        self.invoicing_url = invoicing_url.rstrip("/")
        self.internal_secret = internal_secret
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    async def fetch(self, organization_id: str, invoice_id: str) -> InvoicePdf | TooLarge:
        url = f"{self.invoicing_url}/internal/invoices/{invoice_id}/pdf"
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s, verify=default_tls()) as client:
                async with client.stream("GET", url, params={"organization_id": organization_id},
                                         headers={INTERNAL_HEADER: self.internal_secret}) as response:
                    if response.status_code == 404:
                        raise PdfUnavailable(f"invoicing has no PDF of invoice {invoice_id}", permanent=True)
                    if response.status_code != 200:
                        raise PdfUnavailable(f"invoicing answered {response.status_code} for the PDF")
                    declared = int(response.headers.get("content-length") or 0)
                    if declared > self.max_bytes:
                        return TooLarge(declared)
                    content = bytearray()
                    async for chunk in response.aiter_bytes():
                        content += chunk
                        if len(content) > self.max_bytes:
                            return TooLarge(len(content))
                    found = _FILENAME.search(response.headers.get("content-disposition", ""))
                    version = response.headers.get("x-invoice-version")
                    return InvoicePdf(found.group(1) if found else f"{invoice_id}.pdf", bytes(content),
                                      int(version) if version and version.isdigit() else None)
        except httpx.HTTPError as exc:
            raise PdfUnavailable(f"invoicing unreachable for the PDF: {type(exc).__name__}") from exc
