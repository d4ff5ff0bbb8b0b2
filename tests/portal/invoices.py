"""Real invoices made through invoicing's public API, as the README's tour makes them, for the
hosted-page tests; and where those tests put their screenshots."""

from __future__ import annotations

from pathlib import Path

import httpx

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"  # git-ignored (var/)
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
MAX_DESCRIPTION = 1000  # LineIn.description's max_length in invoicing's API
MAX_NAME = 200
MAX_MEMO = 5000

ACME_SETTINGS = {
    "company_name": "Acme GmbH", "tax_id": "DE123456789", "accent_color": "#0F766E",
    "address": {"lines": ["Hauptstr. 1"], "city": "Berlin", "postal_code": "10115", "country": "DE"},
    "currency": "eur", "locale": "de_DE", "invoice_prefix": "ACME", "number_format": "{PREFIX}-{YY}{MM}-{NNN}",
    "number_reset": "yearly", "accepted_payment_methods": ["card", "wire_transfer"],
    "bank_details": {"account_name": "Acme GmbH", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX"},
}


def api(invoicing, api_key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=invoicing.url, headers={"Authorization": f"Bearer {api_key}"})


async def created(response: httpx.Response) -> dict:
    assert response.status_code in (200, 201), response.text
    return response.json()


async def readme_eur_invoice(invoicing, **settings) -> dict:
    """The README's EUR invoice: Acme GmbH (accent #0F766E, card and wire transfer) bills Client SARL
    (fr_FR) 12.5 h of consulting at 19 % with a period, and 3 handbooks at 7 % with a €5 line discount,
    10 % off the whole invoice; issued. Returns the approved invoice as the API shows it."""
    _, api_key = await invoicing.create_org("Demo Company")
    async with api(invoicing, api_key) as client:
        await created(await client.patch("/v1/settings/invoicing", json={**ACME_SETTINGS, **settings}))
        customer = await created(await client.post("/v1/customers", json={
            "name": "Client SARL", "email": "compta@client.example", "payment_terms": "net_15", "locale": "fr_FR",
            "billing_address": {"lines": ["1 rue de la Paix"], "city": "Paris", "postal_code": "75002",
                                "country": "FR"},
            "finance_contacts": [{"name": "CFO", "email": "cfo@client.example"}]}))
        subscription = await created(await client.post("/v1/subscriptions", json={
            "customer_id": customer["id"], "settings": {"payment_terms": "net_7"}}))
        rate = await created(await client.post("/v1/tax_rates", json={
            "display_name": "MwSt", "percentage": "19", "country": "DE"}))
        draft = await created(await client.post("/v1/invoices", json={
            "customer_id": customer["id"], "subscription_id": subscription["id"], "discounts": [{"percentage": "10"}],
            "lines": [
                {"description": "Consulting", "quantity": "12.5", "unit_amount": 9000, "tax_rate_ids": [rate["id"]],
                 "period": {"start": "2026-11-01", "end": "2026-11-30"}},
                {"description": "Handbook", "quantity": 3, "unit_amount": 2500, "discounts": [{"amount": 500}],
                 "tax_rates": [{"display_name": "MwSt ermäßigt", "percentage": "7"}]}]}))
        invoice = await created(await client.post(f"/v1/invoices/{draft['id']}/approve"))
    invoice["api_key"] = api_key
    return invoice


async def long_text_invoice(invoicing) -> dict:
    """The longest texts the API allows: a 1,000-character description with spaces and one without,
    a 200-character customer name without spaces, a 5,000-character memo without spaces."""
    _, api_key = await invoicing.create_org("Long Texts Ltd")
    words = ("Implementation and configuration of the analytics platform for the regional offices " * 20)
    async with api(invoicing, api_key) as client:
        customer = await created(await client.post("/v1/customers", json={
            "name": "N" * MAX_NAME, "email": "ap@long.example"}))
        draft = await created(await client.post("/v1/invoices", json={
            "customer_id": customer["id"], "currency": "eur", "memo": "M" * MAX_MEMO,
            "lines": [
                {"description": words[:MAX_DESCRIPTION].strip().ljust(MAX_DESCRIPTION, "x"), "quantity": "1",
                 "unit_amount": 123456, "tax_rates": [{"display_name": "VAT", "percentage": "19"}]},
                {"description": "W" * MAX_DESCRIPTION, "quantity": "1000", "unit_amount": 99999,
                 "tax_rates": [{"display_name": "VAT", "percentage": "19"}]}]}))
        invoice = await created(await client.post(f"/v1/invoices/{draft['id']}/approve"))
    invoice["api_key"] = api_key
    return invoice


def token_of(invoice: dict) -> str:
    return invoice["hosted_invoice_url"].rsplit("/i/", 1)[1]
