"""A merchant of the real platform, for the customer portal tests: an organization made by invoicing, its
customers, invoices issued through invoicing's API (waited for until the portal's read model and payments have
heard of them by Kafka), saved methods through payments' API (the sandbox gateway's test cards), AutoPay through
invoicing's API. Nothing is written into a service's tables here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
from sqlalchemy import select

from duely_payments.models import Payment, PaymentAttempt
from duely_portal.customer_portal import repository as portal_repository
from duely_runtime.tables import add_runtime_tables
from tests.conftest import wait_for
from tests.payments.conftest import Org, RunningPayments


async def ok(response: httpx.Response) -> dict:
    assert response.status_code in (200, 201), response.text
    return response.json()


@dataclass
class Merchant:
    org: Org
    invoicing_url: str
    payments: RunningPayments
    portal: object  # the running portal app

    @property
    def id(self) -> str:
        return self.org.id

    @property
    def key(self) -> str:
        return self.org.api_key

    def invoicing_api(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.invoicing_url, headers=self.org.headers, timeout=30)

    def payments_api(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.payments.url, headers=self.org.headers, timeout=30)

    async def settings(self, **changes) -> dict:
        async with self.invoicing_api() as api:
            return await ok(await api.patch("/v1/settings/invoicing", json=changes))

    async def customer(self, name: str, email: str, *, locale: str | None = None) -> dict:
        body = {"name": name, "email": email, **({"locale": locale} if locale else {})}
        async with self.invoicing_api() as api:
            return await ok(await api.post("/v1/customers", json=body))

    async def issue(self, customer_id: str, *, unit_amount: int = 12500) -> dict:
        """An invoice issued through invoicing's API, once the portal lists it and payments can charge it."""
        async with self.invoicing_api() as api:
            draft = await ok(await api.post("/v1/invoices", json={
                "customer_id": customer_id, "currency": "usd", "payment_terms": "net_30",
                "lines": [{"description": "Consulting", "quantity": "2", "unit_amount": unit_amount}]}))
            invoice = await ok(await api.post(f"/v1/invoices/{draft['id']}/approve",
                                              headers={"Idempotency-Key": uuid.uuid4().hex}))

        async def heard():
            async with self.portal.state.runtime.db.transaction() as session:
                listed = await portal_repository.customer_invoice(session, self.id, customer_id, invoice["id"])
            return listed is not None and await self.payments.invoice(invoice["id"]) is not None
        await wait_for(heard, timeout=60)
        return invoice

    async def save_method(self, customer_id: str, payment_method: str = "pm_card_visa", *,
                          set_default: bool | None = None) -> dict:
        body = {"payment_method": payment_method, **({"set_default": set_default} if set_default is not None else {})}
        async with self.payments_api() as api:
            return await ok(await api.post(f"/v1/customers/{customer_id}/payment_methods", json=body,
                                           headers={"Idempotency-Key": uuid.uuid4().hex}))

    async def methods(self, customer_id: str) -> list[dict]:
        async with self.payments_api() as api:
            return (await ok(await api.get(f"/v1/customers/{customer_id}/payment_methods")))["data"]

    async def pay(self, invoice_id: str, payment_method: str = "pm_card_visa") -> dict:
        """The merchant charges the invoice through payments' API (the sandbox gateway's test card)."""
        async with self.payments_api() as api:
            return await ok(await api.post(f"/v1/invoices/{invoice_id}/pay", json={"payment_method": payment_method},
                                           headers={"Idempotency-Key": uuid.uuid4().hex}))

    async def set_autopay(self, customer_id: str, autopay: dict | None) -> dict:
        async with self.invoicing_api() as api:
            return await ok(await api.patch(f"/v1/customers/{customer_id}", json={"autopay": autopay}))

    async def invoice(self, invoice_id: str) -> dict:
        async with self.invoicing_api() as api:
            return await ok(await api.get(f"/v1/invoices/{invoice_id}"))

    # -- what payments did (its own rows) ------------------------------------------------------

    async def payments_of(self, invoice_id: str) -> list[Payment]:
        return await self.payments.payments(invoice_id)

    async def attempts_of(self, invoice_id: str) -> list[PaymentAttempt]:
        return await self.payments.attempts(invoice_id)

    async def idempotent_request(self, key: str):
        """Payments' stored answer for a request it took with this Idempotency-Key (any caller), or None."""
        table = add_runtime_tables(Payment.metadata).idempotency_keys
        async with self.payments.session() as session:
            return (await session.execute(select(table).where(table.c.key == key))).one_or_none()
