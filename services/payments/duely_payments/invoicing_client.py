"""Asks invoicing, while a person waits to pay: an invoice we have not heard of yet, and the
charge reservation (invoicing holds the invoice for one attempt: no void, no write-off meanwhile)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from duely_contracts.models import InvoiceSnapshot
from duely_runtime.auth import INTERNAL_HEADER
from duely_runtime.errors import ApiError, conflict, not_found

log = logging.getLogger(__name__)

# What invoicing may answer a reservation with, passed on to the payer unchanged.
RESERVATION_REFUSALS = frozenset({"invoice_not_payable", "payment_in_progress"})


@dataclass(frozen=True)
class ChargeReservation:
    invoice: InvoiceSnapshot  # the invoice as it is under the reservation: what the attempt charges
    expires_at: datetime


class InvoicingClient:
    def __init__(self, base_url: str, internal_secret: str, timeout_s: float = 5.0) -> None:
        self.client = httpx.AsyncClient(base_url=base_url, timeout=timeout_s,
                                        headers={INTERNAL_HEADER: internal_secret})

    async def fetch_invoice(self, organization_id: str, invoice_id: str) -> InvoiceSnapshot:
        """The invoice's current snapshot; 404 resource_missing when invoicing does not know it."""
        try:
            response = await self.client.get(_invoice_path(invoice_id), params={"organization_id": organization_id})
        except httpx.HTTPError as exc:
            log.warning("invoicing unreachable", extra={"error": repr(exc)})
            raise _unavailable() from exc
        if response.status_code == 404:
            raise not_found("invoice", invoice_id)
        if response.status_code != 200:
            log.warning("invoicing answered %s", response.status_code)
            raise _unavailable()
        body = response.json()
        # the snapshot itself, or wrapped as {"invoice": snapshot}
        return _snapshot(body.get("invoice", body) if isinstance(body, dict) else body, organization_id, invoice_id)

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
            raise _unavailable()
        answer = response.json()
        try:
            expires_at = datetime.fromisoformat(answer["expires_at"])
        except (KeyError, TypeError, ValueError) as exc:
            log.error("invoicing sent an unreadable reservation", extra={"error": repr(exc)})
            raise _unavailable() from exc
        return ChargeReservation(_snapshot(answer.get("invoice"), organization_id, invoice_id), expires_at)

    async def release_charge(self, organization_id: str, invoice_id: str, attempt_id: str) -> bool:
        """End the attempt's hold (its outcome is known). Best effort: the hold expires anyway."""
        body = {"organization_id": organization_id, "attempt_id": attempt_id}
        try:
            response = await self._post_retrying(f"{_invoice_path(invoice_id)}/charge_reservation/release", body)
        except ApiError:
            return False
        if response.status_code != 200:
            log.warning("invoicing answered a release with %s", response.status_code,
                        extra={"invoice_id": invoice_id, "attempt_id": attempt_id})
            return False
        return True

    async def _post_retrying(self, path: str, body: dict) -> httpx.Response:
        # Once more on a transport error: both requests are idempotent, and the answer may just have been lost.
        for attempt in (1, 2):
            try:
                return await self.client.post(path, json=body)
            except httpx.HTTPError as exc:
                log.warning("invoicing unreachable", extra={"error": repr(exc), "try": attempt})
                error = exc
        raise _unavailable() from error

    async def close(self) -> None:
        await self.client.aclose()


def _invoice_path(invoice_id: str) -> str:
    # Quoted: the id is the caller's input, and must stay one path segment (no "../", no control characters).
    return f"/internal/invoices/{quote(invoice_id, safe='')}"


def _snapshot(data, organization_id: str, invoice_id: str) -> InvoiceSnapshot:
    try:
        snapshot = InvoiceSnapshot.model_validate(data)
    except ValidationError as exc:
        log.error("invoicing sent an unreadable invoice", extra={"error": str(exc)})
        raise _unavailable() from exc
    if snapshot.organization_id != organization_id:
        raise not_found("invoice", invoice_id)
    return snapshot


def _error_of(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _unavailable() -> ApiError:
    return ApiError(503, "invoicing_unavailable", "Could not look up the invoice right now; retry shortly.")
