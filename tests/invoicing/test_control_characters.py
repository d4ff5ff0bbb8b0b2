"""Control characters: refused in every text field of invoicing, and stripped from what is already stored
so the PDF and the Factur-X XML always render."""

from __future__ import annotations

import pytest
from facturx import xml_check_xsd
from sqlalchemy import update

from duely_invoicing.models import InvoiceLine

from tests.invoicing.einvoice_validation import assert_valid_einvoice
from tests.invoicing.helpers import create_customer, invoice_body
from tests.invoicing.test_invoicing_bad_input import assert_error


@pytest.mark.parametrize("char", ["\u001c", "\u0000", "\u0007", "\u007f", "\u0085", "\u009b"])
async def test_control_characters_are_refused_naming_the_field(svc, org, char):
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        body = invoice_body(customer["id"])
        body["lines"][0]["description"] = f"Consulting{char}Q4"
        assert_error(await client.post("/v1/invoices", json=body), 400, "parameter_invalid",
                     "lines[0].description")
        assert_error(await client.post("/v1/customers", json={"name": f"A{char}da", "email": "a@example.com"}),
                     400, "parameter_invalid", "name")
        assert_error(await client.patch("/v1/settings/invoicing", json={"footer": f"Tha{char}nks"}),
                     400, "parameter_invalid", "footer")


async def test_tabs_and_newlines_are_still_welcome(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        body = {**invoice_body(customer["id"]), "memo": "Line one\r\nLine two\twith a tab"}
        assert (await client.post("/v1/invoices", json=body)).status_code == 201


async def test_documents_render_whatever_is_already_stored(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        # What EN 16931 requires of the parties (their countries, the seller's VAT id): else no XML at all.
        assert (await client.patch("/v1/settings/invoicing", json={
            "tax_id": "DE123456789", "address": {"lines": ["Hauptstr. 1"], "city": "Berlin",
                                                 "country": "DE"}})).status_code == 200
        customer = await create_customer(client)
        assert (await client.patch(f"/v1/customers/{customer['id']}", json={
            "billing_address": {"lines": ["1 Main St"], "city": "Austin", "country": "US"}})).status_code == 200
        draft = (await client.post("/v1/invoices", json=invoice_body(customer["id"]))).json()
        async with svc.runtime.db.transaction() as session:  # written before the rule existed
            await session.execute(update(InvoiceLine).where(InvoiceLine.invoice_id == draft["id"])
                                  .values(description="Consulting\u001cQ4\u0085"))
        invoice = (await client.post(f"/v1/invoices/{draft['id']}/approve")).json()
        pdf = await client.get(f"/v1/invoices/{invoice['id']}/pdf")
        xml = await client.get(f"/v1/invoices/{invoice['id']}/facturx.xml")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert xml.status_code == 200, xml.text
    assert b"ConsultingQ4" in xml.content
    xml_check_xsd(xml.content, flavor="factur-x", level="en16931")
    assert_valid_einvoice(xml.content)
