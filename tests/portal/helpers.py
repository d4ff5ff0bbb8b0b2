"""Builders shared by the portal tests: a realistic invoice snapshot, its envelopes, and a
stub speaking the internal routes of invoicing and payments."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from duely_contracts import Envelope
from duely_contracts.events import InvoiceIssued
from duely_contracts.models import InvoiceSnapshot
from duely_runtime.auth import INTERNAL_HEADER
from duely_runtime.config import EMBEDDED_SECRET


def make_snapshot(organization_id: str | None = None, invoice_id: str | None = None, *, version: int = 1,
                  status: str = "issued", amount_paid: int = 0) -> InvoiceSnapshot:
    """Two lines, two tax rates: CA sales tax on both lines, SF city tax on the workshop only."""
    organization_id = organization_id or f"org_{uuid.uuid4().hex[:12]}"
    invoice_id = invoice_id or f"in_{uuid.uuid4().hex[:12]}"
    total = 27874
    return InvoiceSnapshot.model_validate({
        "id": invoice_id, "organization_id": organization_id, "organization_name": "Acme Analytics, Inc.",
        "number": "ACME-0042", "status": status, "currency": "usd",
        "customer": {"id": "cus_123", "name": "Globex Corporation", "email": "ap@globex.example",
                     "cc_emails": ["cfo@globex.example"]},
        "payment_terms": "net_30", "memo": "Thank you for your business <3",
        "issued_at": datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc), "due_date": date(2026, 12, 27),
        "subtotal": 25500, "tax": 2374, "total": total, "amount_paid": amount_paid,
        "amount_due": total - amount_paid,
        "lines": [
            {"id": "il_1", "description": "Pro plan seats (November)", "quantity": "3", "unit_amount": 2500,
             "amount": 7500, "tax_rates": [{"display_name": "CA Sales Tax", "percentage": "8.25"}]},
            {"id": "il_2", "description": "Onboarding workshop", "quantity": "1.5", "unit_amount": 12000,
             "amount": 18000, "tax_rates": [{"display_name": "CA Sales Tax", "percentage": "8.25"},
                                             {"display_name": "SF City Tax", "percentage": "1.5"}]},
        ],
        "tax_breakdown": [
            {"display_name": "CA Sales Tax", "percentage": "8.25", "inclusive": False,
             "taxable_amount": 25500, "tax_amount": 2104},
            {"display_name": "SF City Tax", "percentage": "1.5", "inclusive": False,
             "taxable_amount": 18000, "tax_amount": 270},
        ],
        "version": version,
    })


def envelope_for(event_type: str, data, snapshot: InvoiceSnapshot, version: int | None = None) -> Envelope:
    return Envelope(type=event_type, organization_id=snapshot.organization_id, aggregate_id=snapshot.id,
                    aggregate_version=snapshot.version if version is None else version,
                    correlation_id=str(uuid.uuid4()), data=data.model_dump(mode="json"))


def issued(snapshot: InvoiceSnapshot) -> Envelope:
    return envelope_for("invoice.issued", InvoiceIssued(invoice=snapshot), snapshot)


class UpstreamStub:
    """Speaks the two internal routes the portal calls on invoicing and payments, as those
    services define them; used where the real route is not the subject of the test."""

    def __init__(self) -> None:
        self.snapshots: dict[str, InvoiceSnapshot] = {}
        self.pay_calls: list[dict] = []

    def app(self):
        app = FastAPI()

        def authorized(request: Request) -> bool:
            return request.headers.get(INTERNAL_HEADER) == EMBEDDED_SECRET

        @app.get("/internal/invoices/{invoice_id}")
        async def get_invoice(invoice_id: str, organization_id: str, request: Request):
            if not authorized(request):
                return JSONResponse({"error": {"code": "forbidden"}}, 403)
            if invoice_id.startswith("in_broken"):
                return JSONResponse({"error": {"code": "internal_error"}}, 500)
            snapshot = self.snapshots.get(invoice_id)
            if snapshot is None or snapshot.organization_id != organization_id:
                return JSONResponse({"error": {"type": "invalid_request_error", "code": "resource_missing"}}, 404)
            return snapshot.model_dump(mode="json")

        @app.post("/internal/invoices/{invoice_id}/pay")
        async def pay(invoice_id: str, request: Request):
            if not authorized(request):
                return JSONResponse({"error": {"code": "forbidden"}}, 403)
            body = await request.json()
            self.pay_calls.append({"invoice_id": invoice_id, "body": body,
                                   "idempotency_key": request.headers.get("idempotency-key")})
            if body["payment_method"] == "pm_card_visa":
                return {"status": "succeeded", "failure_code": None, "payment_id": "py_1"}
            return {"status": "failed", "failure_code": "card_declined", "failure_message": "Your card was declined."}
        return app
