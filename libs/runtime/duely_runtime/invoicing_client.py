"""Invoicing's internal API, for the services that must ask it while a person waits.

State moves by events; these calls cover the moments events cannot: a read model lagging
behind a freshly emailed link or a first charge (the invoice's snapshot), the invoice's PDF
for the hosted page, and the charge reservation payments takes before charging (invoicing
holds the invoice for one attempt: no void, no write-off meanwhile). Answers are the
contracts' models; anything else from invoicing is `InvoicingUnavailable`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from duely_contracts.models import CustomerRef, InvoiceSnapshot
from duely_runtime.auth import INTERNAL_HEADER
from duely_runtime.errors import ApiError, conflict, not_found

log = logging.getLogger(__name__)

# What invoicing may answer a reservation with, passed on to the payer unchanged.
RESERVATION_REFUSALS = frozenset({"invoice_not_payable", "payment_in_progress"})
INVOICE_STATES_BATCH = 500  # the most ids invoicing takes in one POST /internal/invoices/states
_PDF_FILENAME = re.compile(r'filename="([A-Za-z0-9._-]{1,100}\.pdf)"')


class InvoicingUnavailable(ApiError):
    """Invoicing did not answer usefully: nothing can be concluded (a 503 when it reaches an API caller)."""

    def __init__(self, detail: str) -> None:
        super().__init__(503, "invoicing_unavailable", "Could not look up the invoice right now; retry shortly.")
        self.detail = detail


class ChargeReservation(BaseModel):
    """Invoicing's answer to a reservation (its other fields repeat what the caller sent)."""

    invoice: InvoiceSnapshot  # the invoice as it is under the reservation: what the attempt charges
    expires_at: datetime


@dataclass(frozen=True)
class PdfDownload:
    """Invoicing's PDF, still streaming: read `chunks`, then `close()` (the response's background task)."""

    filename: str
    content_length: str | None
    chunks: AsyncIterator[bytes]
    close: Callable[[], Awaitable[None]]


class InvoicingClient:
    def __init__(self, base_url: str, internal_secret: str, timeout_s: float = 5.0) -> None:
        self.client = httpx.AsyncClient(base_url=base_url, timeout=timeout_s,
                                        headers={INTERNAL_HEADER: internal_secret})

    async def fetch_invoice(self, organization_id: str, invoice_id: str) -> InvoiceSnapshot | None:
        """The invoice's current snapshot; None when the organization has no such invoice."""
        try:
            response = await self.client.get(_invoice_path(invoice_id), params={"organization_id": organization_id})
        except httpx.HTTPError as exc:
            log.warning("invoicing unreachable", extra={"error": repr(exc)})
            raise InvoicingUnavailable(f"invoicing: {exc!r}") from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            log.warning("invoicing answered %s", response.status_code)
            raise InvoicingUnavailable(f"invoicing answered {response.status_code}")
        snapshot = _parse(InvoiceSnapshot, response)
        return snapshot if snapshot.organization_id == organization_id else None

    async def fetch_customer(self, organization_id: str, customer_id: str) -> CustomerRef | None:
        """The customer as invoicing knows it now; None when the organization has no such customer."""
        path = f"/internal/customers/{quote(customer_id, safe='')}"
        try:
            response = await self.client.get(path, params={"organization_id": organization_id})
        except httpx.HTTPError as exc:
            log.warning("invoicing unreachable", extra={"error": repr(exc)})
            raise InvoicingUnavailable(f"invoicing: {exc!r}") from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise InvoicingUnavailable(f"invoicing answered {response.status_code} for a customer")
        return _parse(CustomerRef, response)

    async def invoice_pdf(self, organization_id: str, invoice_id: str) -> PdfDownload | None:
        """The invoice's current PDF (once paid, its receipt); None when the organization has no such invoice."""
        request = self.client.build_request("GET", f"{_invoice_path(invoice_id)}/pdf",
                                            params={"organization_id": organization_id})
        try:
            response = await self.client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise InvoicingUnavailable(f"invoicing: {exc!r}") from exc
        media_type = response.headers.get("content-type", "").split(";")[0].strip()
        if response.status_code != 200 or media_type != "application/pdf":
            await response.aclose()
            if response.status_code == 404:
                return None
            raise InvoicingUnavailable(f"invoicing answered {response.status_code} for the PDF")
        named = _PDF_FILENAME.search(response.headers.get("content-disposition", ""))
        # aiter_bytes undoes any Content-Encoding, so the length holds only for an unencoded body.
        length = None if response.headers.get("content-encoding") else response.headers.get("content-length")
        return PdfDownload(named.group(1) if named else f"{invoice_id}.pdf", length, response.aiter_bytes(),
                           response.aclose)

    async def reserve_charge(self, organization_id: str, invoice_id: str, attempt_id: str) -> ChargeReservation:
        """Hold the invoice for this attempt; 404, or 409 invoice_not_payable / payment_in_progress when refused."""
        body = {"organization_id": organization_id, "attempt_id": attempt_id}
        response = await self._post_retrying(f"{_invoice_path(invoice_id)}/charge_reservation", body)
        if response.status_code == 404:
            raise not_found("invoice", invoice_id)
        error = _error_of(response)
        if response.status_code == 409 and error.get("code") in RESERVATION_REFUSALS:
            raise conflict(error["code"], error.get("message") or "This invoice cannot be paid now.")
        if response.status_code != 200:
            log.warning("invoicing answered a reservation with %s", response.status_code)
            raise InvoicingUnavailable(f"invoicing answered {response.status_code} for a reservation")
        reservation = _parse(ChargeReservation, response)
        if reservation.invoice.organization_id != organization_id:
            raise not_found("invoice", invoice_id)
        return reservation

    async def release_charge(self, organization_id: str, invoice_id: str, attempt_id: str) -> bool:
        """End the attempt's hold (its outcome is known). Best effort: the hold expires anyway."""
        body = {"organization_id": organization_id, "attempt_id": attempt_id}
        try:
            response = await self._post_retrying(f"{_invoice_path(invoice_id)}/charge_reservation/release", body)
        except InvoicingUnavailable:
            return False
        if response.status_code != 200:
            log.warning("invoicing answered a release with %s", response.status_code,
                        extra={"invoice_id": invoice_id, "attempt_id": attempt_id})
            return False
        return True

    async def invoice_states(self, invoice_ids: list[str]) -> list[dict]:
        """The live status and balance of each invoice that exists (dunning, when its timers fire): dicts with id,
        organization_id, status, amount_due, version, subscription_id, customer_id; ids invoicing does not know are
        left out. One request per 500 ids. Check `organization_id` against the one you expect."""
        ids = list(dict.fromkeys(invoice_ids))
        states: list[dict] = []
        for start in range(0, len(ids), INVOICE_STATES_BATCH):
            response = await self._post_retrying("/internal/invoices/states",
                                                 {"invoice_ids": ids[start:start + INVOICE_STATES_BATCH]})
            if response.status_code != 200:
                log.warning("invoicing answered invoice states with %s", response.status_code)
                raise InvoicingUnavailable(f"invoicing answered {response.status_code} for invoice states")
            try:
                batch = response.json()["states"]
                if not isinstance(batch, list) or not all(isinstance(state, dict) for state in batch):
                    raise TypeError("states is not a list of objects")
            except (ValueError, KeyError, TypeError) as exc:
                raise InvoicingUnavailable("invoicing sent unreadable invoice states") from exc
            states += batch
        return states

    async def _post_retrying(self, path: str, body: dict) -> httpx.Response:
        # Once more on a transport error: both requests are idempotent, and the answer may just have been lost.
        for attempt in (1, 2):
            try:
                return await self.client.post(path, json=body)
            except httpx.HTTPError as exc:
                log.warning("invoicing unreachable", extra={"error": repr(exc), "try": attempt})
                error = exc
        raise InvoicingUnavailable(f"invoicing: {error!r}") from error

    async def close(self) -> None:
        await self.client.aclose()


def _invoice_path(invoice_id: str) -> str:
    # Quoted: the id is the caller's input, and must stay one path segment (no "../", no control characters).
    return f"/internal/invoices/{quote(invoice_id, safe='')}"


def _parse(model: type[BaseModel], response: httpx.Response):
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        log.error("invoicing sent an unreadable %s", model.__name__, extra={"error": str(exc)})
        raise InvoicingUnavailable(f"invoicing sent an unreadable {model.__name__}") from exc


def _error_of(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}
