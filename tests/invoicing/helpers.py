"""Request bodies and event builders shared by invoicing's integration tests."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import httpx

from duely_contracts import Envelope
from duely_contracts.events import InvoiceOverdueDetected, PaymentSucceeded
from duely_contracts.models import CustomerRef, InvoiceSummary


def invoice_body(customer_id: str, **overrides) -> dict:
    body = {
        "customer_id": customer_id,
        "currency": "USD",
        "payment_terms": "net_30",
        "memo": "Thank you for your business.",
        "lines": [
            {"description": "Widgets", "quantity": 3, "unit_amount": 1999,
             "tax_rates": [{"display_name": "CA sales tax", "percentage": "8.25", "inclusive": False}]},
            {"description": "Consulting", "quantity": "1.5", "unit_amount": 10000,
             "tax_rates": [{"display_name": "CA sales tax", "percentage": "8.25", "inclusive": False}]},
        ],
    }
    body.update(overrides)
    return body


async def create_customer(client: httpx.AsyncClient, name: str = "Jane Buyer") -> dict:
    response = await client.post("/v1/customers", json={
        "name": name, "email": "jane@example.com", "cc_emails": ["finance@example.com"]})
    assert response.status_code == 201, response.text
    return response.json()


async def create_draft(client: httpx.AsyncClient, customer_id: str, **overrides) -> dict:
    response = await client.post("/v1/invoices", json=invoice_body(customer_id, **overrides))
    assert response.status_code == 201, response.text
    return response.json()


async def issued_invoice(client: httpx.AsyncClient, **overrides) -> dict:
    customer = await create_customer(client)
    draft = await create_draft(client, customer["id"], **overrides)
    response = await client.post(f"/v1/invoices/{draft['id']}/approve")
    assert response.status_code == 200, response.text
    return response.json()


def payment_envelope(invoice: dict, organization_id: str, payment_id: str, amount: int,
                     attempt_id: str | None = None) -> Envelope:
    customer = invoice["customer"]
    event = PaymentSucceeded(
        payment_id=payment_id, invoice_id=invoice["id"], attempt_number=1, attempt_id=attempt_id, amount=amount,
        currency=invoice["currency"], payment_method="pm_card_visa", succeeded_at=datetime.now(timezone.utc),
        invoice=InvoiceSummary(
            id=invoice["id"], number=invoice["number"], organization_name="Org", currency=invoice["currency"],
            total=invoice["total"], amount_due=invoice["amount_due"],
            customer=CustomerRef(id=customer["id"], name=customer["name"], email=customer["email"])))
    return Envelope(type="payment.succeeded", organization_id=organization_id, aggregate_id=payment_id,
                    aggregate_version=1, correlation_id=str(uuid.uuid4()), data=event.model_dump(mode="json"))


def overdue_envelope(invoice: dict, organization_id: str) -> Envelope:
    event = InvoiceOverdueDetected(invoice_id=invoice["id"], due_date=invoice["due_date"],
                                   detected_at=datetime.now(timezone.utc))
    return Envelope(type="dunning.invoice_overdue", organization_id=organization_id, aggregate_id=invoice["id"],
                    aggregate_version=1, correlation_id=str(uuid.uuid4()), data=event.model_dump(mode="json"))
