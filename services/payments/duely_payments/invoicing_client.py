"""Asks invoicing for an invoice we have not heard of yet (a person is waiting to pay it)."""

from __future__ import annotations

import logging
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from duely_contracts.models import InvoiceSnapshot
from duely_runtime.auth import INTERNAL_HEADER
from duely_runtime.errors import ApiError, not_found

log = logging.getLogger(__name__)


class InvoicingClient:
    def __init__(self, base_url: str, internal_secret: str, timeout_s: float = 5.0) -> None:
        self.client = httpx.AsyncClient(base_url=base_url, timeout=timeout_s,
                                        headers={INTERNAL_HEADER: internal_secret})

    async def fetch_invoice(self, organization_id: str, invoice_id: str) -> InvoiceSnapshot:
        """The invoice's current snapshot; 404 resource_missing when invoicing does not know it."""
        try:
            # Quoted: the id is the caller's input, and must stay one path segment (no "../", no control characters).
            response = await self.client.get(f"/internal/invoices/{quote(invoice_id, safe='')}",
                                             params={"organization_id": organization_id})
        except httpx.HTTPError as exc:
            log.warning("invoicing unreachable", extra={"error": repr(exc)})
            raise _unavailable() from exc
        if response.status_code == 404:
            raise not_found("invoice", invoice_id)
        if response.status_code != 200:
            log.warning("invoicing answered %s", response.status_code)
            raise _unavailable()
        body = response.json()
        try:  # the snapshot itself, or wrapped as {"invoice": snapshot}
            snapshot = InvoiceSnapshot.model_validate(body.get("invoice", body) if isinstance(body, dict) else body)
        except ValidationError as exc:
            log.error("invoicing sent an unreadable invoice", extra={"error": str(exc)})
            raise _unavailable() from exc
        if snapshot.organization_id != organization_id:
            raise not_found("invoice", invoice_id)
        return snapshot

    async def close(self) -> None:
        await self.client.aclose()


def _unavailable() -> ApiError:
    return ApiError(503, "invoicing_unavailable", "Could not look up the invoice right now; retry shortly.")
