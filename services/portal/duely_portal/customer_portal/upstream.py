"""What the customer portal asks invoicing and payments while a person waits (internal HTTP, shared secret).

State still moves by events (the portal's read models of invoices and payments); these calls are for what
the portal does not keep: who the customer is and how the organization brands and configures the portal
(invoicing's `portal_context`), the customer's AutoPay, drafts, the saved payment methods, and a charge.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import quote

import httpx

from duely_contracts.models import InvoiceSnapshot
from duely_runtime.auth import INTERNAL_HEADER

log = logging.getLogger(__name__)


class UpstreamUnavailable(Exception):
    """Invoicing or payments did not answer usefully: nothing can be concluded."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def error_code(self) -> str | None:
        error = self.body.get("error")
        return error.get("code") if isinstance(error, dict) else None


class PortalUpstream:
    def __init__(self, invoicing_url: str, payments_url: str, internal_secret: str, timeout_s: float) -> None:
        headers = {INTERNAL_HEADER: internal_secret}
        self.invoicing = httpx.AsyncClient(base_url=invoicing_url, timeout=timeout_s, headers=headers)
        self.payments = httpx.AsyncClient(base_url=payments_url, timeout=timeout_s, headers=headers)

    async def _call(self, client: httpx.AsyncClient, method: str, path: str, **kwargs) -> Answer:
        try:
            response = await client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            log.warning("upstream unreachable", extra={"path": path, "error": repr(exc)})
            raise UpstreamUnavailable(repr(exc)) from exc
        if response.status_code >= 500:
            log.warning("upstream failed", extra={"path": path, "status": response.status_code})
            raise UpstreamUnavailable(f"{path} answered {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            body = {}
        return Answer(response.status_code, body if isinstance(body, dict) else {})

    # -- invoicing -------------------------------------------------------------------------------

    async def portal_context(self, organization_id: str, customer_id: str) -> dict | None:
        """{customer, organization, portal, autopay, autopay_source, accepted_payment_methods}; None when the
        organization has no such customer."""
        answer = await self._call(self.invoicing, "GET", f"{_customer(customer_id)}/portal_context",
                                  params={"organization_id": organization_id})
        if answer.status == 404:
            return None
        if answer.status != 200 or "customer" not in answer.body:
            raise UpstreamUnavailable(f"portal_context answered {answer.status}")
        return answer.body

    async def set_autopay(self, organization_id: str, customer_id: str, autopay: dict) -> Answer:
        return await self._call(self.invoicing, "PUT", f"{_customer(customer_id)}/autopay",
                                json={"organization_id": organization_id, **autopay})

    async def draft_invoices(self, organization_id: str, customer_id: str) -> list[InvoiceSnapshot]:
        answer = await self._call(self.invoicing, "GET", f"{_customer(customer_id)}/draft_invoices",
                                  params={"organization_id": organization_id})
        if answer.status != 200:
            raise UpstreamUnavailable(f"draft_invoices answered {answer.status}")
        drafts = [InvoiceSnapshot.model_validate(item) for item in answer.body.get("data") or []]
        return [d for d in drafts if d.organization_id == organization_id and d.customer.id == customer_id]

    # -- payments --------------------------------------------------------------------------------

    async def payment_methods(self, organization_id: str, customer_id: str) -> list[dict]:
        answer = await self._call(self.payments, "GET", f"{_customer(customer_id)}/payment_methods",
                                  params={"organization_id": organization_id})
        if answer.status != 200:
            raise UpstreamUnavailable(f"payment_methods answered {answer.status}")
        return [m for m in answer.body.get("data") or [] if m.get("status") != "detached"]

    async def save_payment_method(self, organization_id: str, customer_id: str, payment_method: str, *,
                                  set_default: bool, idempotency_key: str, mandate: dict | None = None,
                                  authorization_text: str | None = None) -> Answer:
        body = {"organization_id": organization_id, "payment_method": payment_method, "set_default": set_default}
        if mandate is not None:
            body.update(mandate=mandate, authorization_text=authorization_text)
        return await self._call(self.payments, "POST", f"{_customer(customer_id)}/payment_methods", json=body,
                                headers={"Idempotency-Key": idempotency_key})

    async def make_default(self, organization_id: str, customer_id: str, payment_method_id: str) -> Answer:
        return await self._call(self.payments, "POST",
                                f"{_customer(customer_id)}/payment_methods/{quote(payment_method_id, safe='')}/default",
                                json={"organization_id": organization_id})

    async def remove_payment_method(self, organization_id: str, customer_id: str, payment_method_id: str) -> Answer:
        return await self._call(self.payments, "DELETE",
                                f"{_customer(customer_id)}/payment_methods/{quote(payment_method_id, safe='')}",
                                params={"organization_id": organization_id})

    async def pay_invoices(self, organization_id: str, customer_id: str, invoice_ids: list[str],
                           payment_method: str | None, idempotency_key: str) -> Answer:
        """One charge for several invoices (a payment group), allocated to them by payments."""
        return await self._call(self.payments, "POST", f"{_customer(customer_id)}/payments", json={
            "organization_id": organization_id, "invoice_ids": invoice_ids, "payment_method": payment_method,
            "amount": None}, headers={"Idempotency-Key": idempotency_key})


def _customer(customer_id: str) -> str:
    return f"/internal/customers/{quote(customer_id, safe='')}"
