"""GET /v1/invoices/{id}/pdf and /facturx.xml on Postgres: content, caching per version, scoping."""

from __future__ import annotations

import asyncio

from facturx import get_facturx_xml_from_pdf, xml_check_xsd
from sqlalchemy import select

from duely_invoicing.documents.models import InvoiceDocument

from tests.invoicing.documents_helpers import link_uris, pdf_text, squeezed, xml_value

RSM = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction"
SUMMATION = f"{RSM}/ram:ApplicableHeaderTradeSettlement/ram:SpecifiedTradeSettlementHeaderMonetarySummation"

EUR_INVOICE = {
    "currency": "EUR", "payment_terms": "net_14", "memo": "Vielen Dank für Ihren Auftrag.",
    "lines": [
        {"description": "Beratung", "quantity": "10.5", "unit_amount": 10000,
         "tax_rates": [{"display_name": "USt", "percentage": "19"}]},
        {"description": "Fachbücher", "quantity": 3, "unit_amount": 6152,
         "tax_rates": [{"display_name": "USt ermäßigt", "percentage": "7"}]},
    ],
}


async def _german_org_with_customer(client, logo_url: str) -> dict:
    settings = await client.patch("/v1/settings/invoicing", json={
        "company_name": "Muster GmbH", "tax_id": "DE123456789", "locale": "de_DE", "accent_color": "#0a7d4f",
        "address": {"lines": ["Hauptstraße 1"], "city": "Berlin", "postal_code": "10115", "country": "DE"},
        "footer": "Muster GmbH · HRB 12345", "accepted_payment_methods": ["card", "wire_transfer"],
        "logo_url": logo_url,  # fetched now, once; the PDF draws the stored bytes
        "bank_details": {"account_name": "Muster GmbH", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX"}})
    assert settings.status_code == 200, settings.text
    customer = await client.post("/v1/customers", json={
        "name": "Käufer AG", "email": "ap@kaeufer.example", "tax_id": "FR40303265045",
        "billing_address": {"lines": ["Rue de Rivoli 5"], "city": "Paris", "postal_code": "75001",
                            "country": "FR"}})
    assert customer.status_code == 201, customer.text
    return customer.json()


async def _documents(svc, invoice_id: str) -> list[InvoiceDocument]:
    async with svc.runtime.db.transaction() as session:
        return list((await session.scalars(select(InvoiceDocument).where(
            InvoiceDocument.invoice_id == invoice_id).order_by(InvoiceDocument.version))).all())


async def test_issued_invoice_pdf_is_rendered_once_per_version_and_carries_its_factur_x(svc, org, logo_server):
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = await _german_org_with_customer(client, f"{logo_server.url}/muster.png")
        draft = (await client.post("/v1/invoices", json={"customer_id": customer["id"], **EUR_INVOICE})).json()
        invoice = (await client.post(f"/v1/invoices/{draft['id']}/approve")).json()
        number = invoice["number"]

        first = await client.get(f"/v1/invoices/{invoice['id']}/pdf")
        assert first.status_code == 200, first.text
        assert first.headers["content-type"] == "application/pdf"
        assert first.headers["content-disposition"] == f'inline; filename="{number}.pdf"'
        text = squeezed(pdf_text(first.content))
        assert f"Rechnungsnummer {number}" in text
        assert "Beratung 10,5 100,00 € 19% 1.050,00 €" in text
        assert "Fachbücher 3 61,52 € 7% 184,56 €" in text
        assert "USt 19% 1.050,00 € 199,50 €" in text and "USt ermäßigt 7% 184,56 € 12,92 €" in text
        assert "Zwischensumme 1.234,56 €" in text and "Gesamtbetrag 1.446,98 €" in text
        assert "ZU ZAHLEN 1.446,98 €" in text
        assert "USt-IdNr.: DE123456789" in text and "USt-IdNr.: FR40303265045" in text
        assert "IBAN DE89370400440532013000" in text and "Online bezahlen" in text
        assert link_uris(first.content) == [invoice["hosted_invoice_url"]]  # the pay-online link
        assert b"/Subtype /Image" in first.content  # the logo stored when the settings were saved

        filename, xml = get_facturx_xml_from_pdf(first.content, check_xsd=False)
        assert filename == "factur-x.xml" and xml_check_xsd(xml, flavor="factur-x", level="en16931")
        assert xml_value(xml, "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID") == [number]
        assert xml_value(xml, f"{SUMMATION}/ram:GrandTotalAmount") == ["1446.98"]
        standalone = await client.get(f"/v1/invoices/{invoice['id']}/facturx.xml")
        assert standalone.status_code == 200 and standalone.headers["content-type"].startswith("application/xml")
        assert standalone.content == xml  # the same e-invoice, embedded or alone

        # Same version: served from the cache, byte for byte, no second render.
        [stored] = await _documents(svc, invoice["id"])
        again = await client.get(f"/v1/invoices/{invoice['id']}/pdf")
        assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
        [still] = await _documents(svc, invoice["id"])
        assert (still.id, still.rendered_at, still.version) == (stored.id, stored.rendered_at, invoice["version"])
        not_modified = await client.get(f"/v1/invoices/{invoice['id']}/pdf",
                                        headers={"If-None-Match": first.headers["etag"]})
        assert not_modified.status_code == 304 and not_modified.content == b""

        # A new version (the invoice changed): rendered again, the earlier render kept.
        changed = (await client.post(f"/v1/invoices/{invoice['id']}/mark_uncollectible")).json()
        latest = await client.get(f"/v1/invoices/{invoice['id']}/pdf")
        assert latest.content != first.content and "UNEINBRINGLICH" in pdf_text(latest.content)
        rows = await _documents(svc, invoice["id"])
        assert [r.version for r in rows] == [invoice["version"], changed["version"]]
        assert rows[0].rendered_at == stored.rendered_at


async def test_draft_pdf_is_marked_draft_without_number_and_has_no_factur_x(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = (await client.post("/v1/customers", json={"name": "Jane", "email": "jane@example.com"})).json()
        draft = (await client.post("/v1/invoices", json={"customer_id": customer["id"], **EUR_INVOICE})).json()
        response = await client.get(f"/v1/invoices/{draft['id']}/pdf")
        assert response.status_code == 200
        assert response.headers["content-disposition"] == f'inline; filename="draft-{draft["id"]}.pdf"'
        text = squeezed(pdf_text(response.content))
        assert "DRAFT" in text.upper() and "INV-" not in text
        xml = await client.get(f"/v1/invoices/{draft['id']}/facturx.xml")
        assert xml.status_code == 409 and xml.json()["error"]["code"] == "invoice_not_issued"

        # Editing the draft makes a new version: the next PDF shows the edit.
        edited = await client.post(f"/v1/invoices/{draft['id']}/lines", json={
            "description": "Rush fee", "quantity": 1, "unit_amount": 5000})
        assert edited.status_code == 200, edited.text
        assert "Rush fee" in pdf_text((await client.get(f"/v1/invoices/{draft['id']}/pdf")).content)
        assert [r.version for r in await _documents(svc, draft["id"])] == [draft["version"], edited.json()["version"]]
        # Deleting the draft takes its cached documents with it.
        assert (await client.delete(f"/v1/invoices/{draft['id']}")).status_code == 200
        assert await _documents(svc, draft["id"]) == []


async def test_concurrent_first_requests_store_one_render_and_agree(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = (await client.post("/v1/customers", json={"name": "Jane", "email": "jane@example.com"})).json()
        draft = (await client.post("/v1/invoices", json={"customer_id": customer["id"], **EUR_INVOICE})).json()
        invoice = (await client.post(f"/v1/invoices/{draft['id']}/approve")).json()
        responses = await asyncio.gather(*[client.get(f"/v1/invoices/{invoice['id']}/pdf") for _ in range(4)])
    assert {r.status_code for r in responses} == {200}
    assert len({r.content for r in responses}) == 1  # whoever rendered, everyone got the stored bytes
    assert len(await _documents(svc, invoice["id"])) == 1


async def test_another_organizations_invoice_is_not_found(svc, org):
    _, api_key = org
    _, other_key = await svc.create_org("Someone else")
    async with svc.client(api_key) as client:
        customer = (await client.post("/v1/customers", json={"name": "Jane", "email": "jane@example.com"})).json()
        draft = (await client.post("/v1/invoices", json={"customer_id": customer["id"], **EUR_INVOICE})).json()
        invoice = (await client.post(f"/v1/invoices/{draft['id']}/approve")).json()
    async with svc.client(other_key) as stranger:
        for path in ("pdf", "facturx.xml"):
            response = await stranger.get(f"/v1/invoices/{invoice['id']}/{path}")
            assert response.status_code == 404, path
            assert response.json()["error"]["code"] == "resource_missing"
        missing = await stranger.get("/v1/invoices/in_nope/pdf")
        assert missing.status_code == 404
    async with svc.client() as anonymous:
        assert (await anonymous.get(f"/v1/invoices/{invoice['id']}/pdf")).status_code == 401
    assert await _documents(svc, invoice["id"]) == []  # nothing rendered for the stranger


async def test_our_services_fetch_the_current_pdf_for_the_hosted_page_and_emails(svc, org, logo_server):
    from duely_runtime.auth import INTERNAL_HEADER
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        customer = await _german_org_with_customer(client, f"{logo_server.url}/muster.png")
        draft = (await client.post("/v1/invoices", json={"customer_id": customer["id"], **EUR_INVOICE})).json()
        invoice = (await client.post(f"/v1/invoices/{draft['id']}/approve")).json()
        url = f"/internal/invoices/{invoice['id']}/pdf"
        internal = {INTERNAL_HEADER: svc.settings.internal_secret}
        pdf = await client.get(url, params={"organization_id": organization_id}, headers=internal)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert pdf.headers["x-invoice-version"] == str(invoice["version"])
        assert invoice["number"] in pdf.headers["content-disposition"]
        assert (await client.get(url, params={"organization_id": "org_other"}, headers=internal)).status_code == 404
        assert (await client.get(url, params={"organization_id": organization_id})).status_code == 403
