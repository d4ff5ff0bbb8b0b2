"""One truth for the customer: for the README's invoices (discounts and two rates, inclusive tax, JPY,
KWD), issued by the real invoicing on Postgres, the PDF, the hosted page and the invoice email each show
the same subtotal, discounts, tax lines, total and amount due — and those reconcile."""

from __future__ import annotations

import re
from html import unescape

import pytest

from duely_contracts.models import InvoiceSnapshot
from duely_notifications.domain import email_context
from duely_notifications.rendering import EmailRenderer
from duely_portal import pages
from duely_portal.service import HostedInvoice
from duely_presentation.content import from_snapshot
from duely_presentation.view import build_view
from duely_runtime.auth import INTERNAL_HEADER

from tests.invoicing.documents_helpers import pdf_text

SETTINGS = {"company_name": "Acme GmbH", "tax_id": "DE123456789", "accent_color": "#0F766E",
            "address": {"lines": ["Hauptstr. 1"], "city": "Berlin", "postal_code": "10115", "country": "DE"},
            "accepted_payment_methods": ["card", "wire_transfer"],
            "bank_details": {"account_name": "Acme GmbH", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX"}}
CUSTOMER = {"name": "Client SARL", "email": "compta@client.example", "locale": "fr_FR",
            "billing_address": {"lines": ["1 rue de la Paix"], "city": "Paris", "postal_code": "75002",
                                "country": "FR"}}
README_EUR = {"currency": "eur", "payment_terms": "net_7", "discounts": [{"percentage": "10"}], "lines": [
    {"description": "Consulting", "quantity": "12.5", "unit_amount": 9000,
     "tax_rates": [{"display_name": "MwSt", "percentage": "19"}],
     "period": {"start": "2026-11-01", "end": "2026-11-30"}},
    {"description": "Handbook", "quantity": 3, "unit_amount": 2500, "discounts": [{"amount": 500}],
     "tax_rates": [{"display_name": "MwSt ermäßigt", "percentage": "7"}]}]}
INCLUSIVE_USD = {"currency": "usd", "lines": [
    {"description": "Annual plan", "quantity": 1, "unit_amount": 119900,
     "tax_rates": [{"display_name": "VAT", "percentage": "20", "inclusive": True}]},
    {"description": "Seats", "quantity": 7, "unit_amount": 1999, "discounts": [{"percentage": "15"}],
     "tax_rates": [{"display_name": "VAT", "percentage": "20", "inclusive": True}]}]}
JPY = {"currency": "jpy", "discounts": [{"amount": 333}], "lines": [
    {"description": "Consulting", "quantity": "2.5", "unit_amount": 12345,
     "tax_rates": [{"display_name": "Consumption tax", "percentage": "10"}]}]}
KWD = {"currency": "kwd", "lines": [
    {"description": "Licence", "quantity": 3, "unit_amount": 12345,
     "tax_rates": [{"display_name": "VAT", "percentage": "5"}]}]}
CASES = {"readme-eur-discounts-two-rates": README_EUR, "usd-inclusive": INCLUSIVE_USD, "jpy": JPY, "kwd": KWD}


def text_of_html(html: str) -> str:
    html = re.sub(r"(?is)<(script|style).*?</\1>", " ", html)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def normal(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


async def issued_snapshot(svc, client, organization_id: str, body: dict) -> InvoiceSnapshot:
    customer = (await client.post("/v1/customers", json=CUSTOMER)).json()
    draft = await client.post("/v1/invoices", json={"customer_id": customer["id"], **body})
    assert draft.status_code == 201, draft.text
    approved = await client.post(f"/v1/invoices/{draft.json()['id']}/approve")
    assert approved.status_code == 200, approved.text
    response = await client.get(f"/internal/invoices/{draft.json()['id']}", params={"organization_id": organization_id},
                                headers={INTERNAL_HEADER: svc.settings.internal_secret})
    return InvoiceSnapshot.model_validate(response.json())


@pytest.mark.parametrize("case", list(CASES))
async def test_pdf_hosted_page_and_email_show_the_same_reconciling_figures(svc, org, case):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        assert (await client.patch("/v1/settings/invoicing", json=SETTINGS)).status_code == 200
        snapshot = await issued_snapshot(svc, client, organization_id, CASES[case])
        pdf = (await client.get(f"/v1/invoices/{snapshot.id}/pdf")).content

    # The figures reconcile in the snapshot every surface renders.
    exclusive_tax = sum(e.tax_amount for e in snapshot.tax_breakdown if not e.inclusive)
    assert snapshot.subtotal - snapshot.total_discount + exclusive_tax == snapshot.total
    assert snapshot.amount_due == snapshot.total - snapshot.amount_paid
    assert sum(e.tax_amount for e in snapshot.tax_breakdown) == snapshot.tax

    view = build_view(from_snapshot(snapshot))
    surfaces = {
        "pdf": normal(pdf_text(pdf)),
        "hosted page": normal(text_of_html(pages.render_invoice(HostedInvoice(snapshot, snapshot.version, []),
                                                                 "tok", payment=None, code=None))),
        "email (html)": None, "email (text)": None,
    }
    email = EmailRenderer().render("invoice_issued", email_context.invoice_issued(view))
    surfaces["email (html)"], surfaces["email (text)"] = normal(text_of_html(email.html)), normal(email.text)

    expected = [(row.label, row.value) for row in view.totals] + [(view.labels["amount_due"], view.amount_due)]
    expected += [(name, tax) for name, _, _, tax in view.tax_rows]
    assert any(label.startswith(view.labels["discount"]) for label, _ in expected) == bool(snapshot.total_discount)
    for surface, text in surfaces.items():
        for label, value in expected:  # case aside: the PDF sets some labels in capitals
            assert normal(label).upper() in text.upper() and normal(value) in text, (surface, label, value)
