"""A stand-in for the internal routes the customer portal asks of invoicing and payments (API key check,
portal_context, AutoPay, drafts, saved methods, one charge for several invoices), speaking their contracts
(design-11 A and B). Used by the session, CSRF, rate-limit and isolation tests, whose subject is the portal;
the end-to-end test in tests/e2e/test_portal.py runs the real services."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from duely_runtime.auth import INTERNAL_HEADER
from duely_runtime.config import EMBEDDED_SECRET


@dataclass
class StubCustomer:
    organization_id: str
    id: str
    name: str
    email: str
    locale: str | None = "en_US"
    autopay: dict = field(default_factory=lambda: {"enabled": False, "timing": "on_issue", "days_before_due": None,
                                                   "payment_method_id": None})
    methods: list[dict] = field(default_factory=list)


@dataclass
class PortalStub:
    url: str = ""
    keys: dict[str, str] = field(default_factory=dict)  # api key → organization id
    customers: dict[tuple[str, str], StubCustomer] = field(default_factory=dict)
    customer_autopay: bool = True
    payment_calls: list[dict] = field(default_factory=list)

    def add_key(self, key: str, organization_id: str) -> None:
        self.keys[hashlib.sha256(key.encode()).hexdigest()] = organization_id

    def add_customer(self, customer: StubCustomer) -> StubCustomer:
        self.customers[(customer.organization_id, customer.id)] = customer
        return customer

    def app(self) -> FastAPI:
        app = FastAPI()

        def refused(request: Request):
            if request.headers.get(INTERNAL_HEADER) != EMBEDDED_SECRET:
                return JSONResponse({"error": {"code": "forbidden"}}, 403)
            return None

        def customer_of(organization_id: str, customer_id: str) -> StubCustomer | None:
            return self.customers.get((organization_id, customer_id))

        missing = JSONResponse({"error": {"type": "invalid_request_error", "code": "resource_missing"}}, 404)

        @app.post("/internal/auth/verify")
        async def verify(request: Request):
            body = await request.json()
            organization_id = self.keys.get(body["key_hash"])
            if organization_id is None:
                return JSONResponse({"error": {"code": "resource_missing"}}, 404)
            return {"organization_id": organization_id, "api_key_id": f"key_{organization_id}"}

        @app.get("/internal/customers/{customer_id}/portal_context")
        async def portal_context(customer_id: str, organization_id: str, request: Request):
            if (no := refused(request)) is not None:
                return no
            customer = customer_of(organization_id, customer_id)
            if customer is None:
                return missing
            return {"customer": {"id": customer.id, "name": customer.name, "email": customer.email,
                                 "locale": customer.locale},
                    "organization": {"id": organization_id, "name": "Acme GmbH", "logo_url": None,
                                     "accent_color": "#0F766E", "locale": "en_US"},
                    "portal": {"show_drafts": False, "customer_autopay": self.customer_autopay},
                    "autopay": customer.autopay, "autopay_source": "customer",
                    "accepted_payment_methods": ["card"]}

        @app.get("/internal/customers/{customer_id}/draft_invoices")
        async def drafts(customer_id: str, organization_id: str):
            return {"data": []}

        @app.get("/internal/customers/{customer_id}/payment_methods")
        async def methods(customer_id: str, organization_id: str, request: Request):
            customer = customer_of(organization_id, customer_id)
            return {"data": customer.methods if customer else []}

        @app.post("/internal/customers/{customer_id}/payments")
        async def pay(customer_id: str, request: Request):
            body = await request.json()
            self.payment_calls.append({"customer_id": customer_id, "body": body,
                                       "idempotency_key": request.headers.get("idempotency-key")})
            return {"object": "payment_group", "id": "pgrp_1", "status": "succeeded", "amount": 1, "currency": "usd",
                    "payment_method": "pm_card_visa", "failure_code": None, "failure_reason": None,
                    "allocations": []}

        @app.get("/internal/invoices/{invoice_id}")
        async def invoice(invoice_id: str):
            return missing

        @app.get("/internal/invoices/{invoice_id}/pdf")
        async def invoice_pdf(invoice_id: str):
            return missing

        return app
