"""Charging a card now, through payments' internal API, while a person waits on the page.

State still moves by events; this call covers the moment events cannot. (Invoicing is asked
through the runtime's shared `InvoicingClient`.)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import quote

import httpx

from duely_runtime.auth import INTERNAL_HEADER
from duely_runtime.kit.tls import default_tls
from duely_portal.config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PaymentOutcome:
    status: str  # succeeded | failed | processing (the card gateway has not answered yet)
    failure_code: str | None = None
    attempt_number: int | None = None  # the attempt payments made (a bank debit's page follows its outcome)


@dataclass(frozen=True)
class SaveOutcome:
    """The card update page's save: the saved method (as payments shows it), or a customer-safe code."""

    method: dict | None = None
    failure_code: str | None = None


class PaymentsUnavailable(Exception):
    pass


class _PaymentMethodsCalls:
    """The card update page's calls (mixed into PaymentsClient)."""

    async def payment_method_context(self, organization_id: str, customer_id: str,
                                     payment_method_id: str) -> dict | None:
        """{payment_method, customer, organization_name} when the method is this customer's, else None."""
        try:
            async with self._client() as client:
                response = await client.get(f"/internal/customers/{quote(customer_id, safe='')}/payment_methods/{quote(payment_method_id, safe='')}",
                                            params={"organization_id": organization_id})
        except httpx.HTTPError as exc:
            raise PaymentsUnavailable(repr(exc)) from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise PaymentsUnavailable(f"payments answered {response.status_code}")
        return _json(response)

    async def save_payment_method(self, organization_id: str, customer_id: str, payment_method: str,
                                  replaces: str, idempotency_key: str) -> SaveOutcome:
        """Save the method for the customer as the default. The key makes a double-submitted form save once."""
        try:
            async with self._client() as client:
                response = await client.post(
                    f"/internal/customers/{quote(customer_id, safe='')}/payment_methods",
                    json={"organization_id": organization_id, "payment_method": payment_method,
                          "replaces": replaces},
                    headers={"Idempotency-Key": idempotency_key})
        except httpx.HTTPError as exc:
            log.warning("payments unreachable", extra={"customer_id": customer_id, "error": repr(exc)})
            return SaveOutcome(failure_code="payment_service_unavailable")
        body = _json(response)
        if response.status_code in (200, 201):
            return SaveOutcome(method=body)
        if response.status_code >= 500 or response.status_code == 409:
            log.warning("payments did not save the method", extra={"customer_id": customer_id,
                                                                   "status": response.status_code})
            return SaveOutcome(failure_code="payment_service_unavailable")
        error = body.get("error") or {}
        if response.status_code == 402:
            return SaveOutcome(failure_code=error.get("code") or "card_declined")
        if response.status_code == 404:
            return SaveOutcome(failure_code="not_found")
        return SaveOutcome(failure_code=error.get("code") if error.get("code") == "payment_method_invalid"
                           else "form_invalid")


class PaymentsClient(_PaymentMethodsCalls):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.headers = {INTERNAL_HEADER: settings.internal_secret}

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.settings.payments_url, timeout=self.settings.upstream_timeout_s,
                                 headers=self.headers, verify=default_tls())

    async def pay_invoice(self, organization_id: str, invoice_id: str, payment_method: str,
                          idempotency_key: str, *, payment_method_type: str | None = None,
                          mandate_data: dict | None = None) -> PaymentOutcome:
        """Ask payments to charge now (a card; or a bank debit with its type and accepted mandate).
        The key makes a double-submitted form charge once."""
        body = {"organization_id": organization_id, "payment_method": payment_method}
        if payment_method_type:
            body.update(payment_method_type=payment_method_type, mandate_data=mandate_data)
        try:
            async with self._client() as client:
                response = await client.post(
                    f"/internal/invoices/{invoice_id}/pay",
                    json=body,
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
            number = body.get("attempt_number")
            return PaymentOutcome(body["status"], attempt_number=number if isinstance(number, int) else None)
        return PaymentOutcome("failed", body.get("failure_reason") or body.get("failure_code") or "payment_failed")


def _json(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
