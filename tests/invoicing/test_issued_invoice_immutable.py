"""An issued invoice is immutable: after approval, editing the customer or the organization's settings changes
neither the API body, nor the snapshot of later events, nor the PDF, nor the Factur-X XML; the next invoice takes
the new values. On real Postgres and the real broker; the logo from a real HTTP server on 127.0.0.1. Invoices
issued before migration 0004_parties_at_approval are frozen by it (SQLite and Postgres)."""

from __future__ import annotations

import asyncio
import io
import uuid
from dataclasses import dataclass
from typing import AsyncIterator

import httpx
import pytest
from alembic import command
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import inspect, update
from sqlalchemy.ext.asyncio import create_async_engine

from duely_contracts.events import InvoiceIssued, InvoicePaid, InvoiceVoided
from duely_runtime.auth import INTERNAL_HEADER
from duely_runtime.migrations import alembic_config
from duely_invoicing.main import build
from duely_invoicing.models import Organization

from tests.invoicing.documents_helpers import attachments, pdf_text, squeezed, xml_value
from tests.invoicing.helpers import payment_envelope
from tests.loopback_http import http_server, respond
from duely_invoicing.config import Settings

RED, BLUE = (200, 30, 30), (30, 30, 200)
AGREEMENT = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement"
IBAN = ("/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
        "/ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeePartyCreditorFinancialAccount/ram:IBANID")

SETTINGS_AT_APPROVAL = {
    "company_name": "Muster GmbH", "tax_id": "DE123456789", "accent_color": "#0a7d4f",
    "address": {"lines": ["Hauptstraße 1"], "city": "Berlin", "postal_code": "10115", "country": "DE"},
    "footer": "Muster GmbH · HRB 12345", "accepted_payment_methods": ["card", "wire_transfer"],
    "bank_details": {"account_name": "Muster GmbH", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX"},
}
SETTINGS_LATER = {
    "company_name": "Umbenannt AG", "tax_id": "DE999999999", "accent_color": "#AA1122",
    "address": {"lines": ["Leopoldstraße 7"], "city": "München", "postal_code": "80802", "country": "DE"},
    "footer": "Umbenannt AG · HRB 99999",
    "bank_details": {"account_name": "Umbenannt AG", "iban": "DE02120300000000202051", "bic": "BYLADEM1001"},
}
CUSTOMER_AT_APPROVAL = {
    "name": "Käufer SARL", "email": "ap@kaeufer.example", "cc_emails": ["compta@kaeufer.example"],
    "tax_id": "FR40303265045", "locale": "fr_FR",
    "billing_address": {"lines": ["Rue de Rivoli 5"], "city": "Paris", "postal_code": "75001", "country": "FR"},
}
CUSTOMER_LATER = {
    "name": "Nouveau Nom SAS", "email": "factures@nouveau.example", "cc_emails": ["dg@nouveau.example"],
    "tax_id": "FR83404833048", "locale": "de_DE",
    "billing_address": {"lines": ["Quai Perrache 9"], "city": "Lyon", "postal_code": "69002", "country": "FR"},
}
LINES = [{"description": "Beratung", "quantity": 2, "unit_amount": 50000,
          "tax_rates": [{"display_name": "TVA", "percentage": "20"}]}]
# What any surface of the invoice issued before the edits may show, and what none of them may.
SAID_AT_APPROVAL = ("Käufer SARL", "Rue de Rivoli 5", "75001 Paris", "FR40303265045", "Muster GmbH",
                    "Hauptstraße 1", "DE123456789", "DE89370400440532013000", "Numéro de facture")
SAID_LATER = ("Nouveau Nom", "Quai Perrache", "Lyon", "FR83404833048", "Umbenannt", "Leopoldstraße", "München",
              "DE999999999", "DE02120300000000202051", "Rechnungsnummer")


def png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), colour).save(buffer, "PNG")
    return buffer.getvalue()


@dataclass
class RepaintableLogo:
    """One logo URL whose image the merchant replaces in place (a rebrand that keeps the file name)."""

    url: str
    image: bytes

    def repaint(self, colour: tuple[int, int, int]) -> None:
        self.image = png(colour)


@pytest.fixture
async def logo() -> AsyncIterator[RepaintableLogo]:
    state = RepaintableLogo("", png(RED))

    async def handler(head: bytes, writer) -> None:
        await respond("200 OK", state.image, "content-type: image/png\r\n")(head, writer)

    async with http_server(handler) as (_, port):
        state.url = f"http://127.0.0.1:{port}/logo.png"
        yield state


def logo_colours(pdf: bytes) -> list[tuple[int, int, int]]:
    reader = PdfReader(io.BytesIO(pdf))
    return [image.image.convert("RGB").getpixel((0, 0)) for page in reader.pages for image in page.images]


async def events_for(read_events, wait_for, topic: str, aggregate_id: str):
    async def matching():
        return [e for e in await read_events(topic, timeout=3) if e.aggregate_id == aggregate_id]
    return await wait_for(matching, timeout=30)


async def internal_snapshot(svc, client, organization_id: str, invoice_id: str) -> dict:
    response = await client.get(f"/internal/invoices/{invoice_id}", params={"organization_id": organization_id},
                                headers={INTERNAL_HEADER: svc.settings.internal_secret})
    assert response.status_code == 200, response.text
    return response.json()


async def approved(client, customer_id: str) -> dict:
    draft = await client.post("/v1/invoices", json={"customer_id": customer_id, "currency": "eur", "lines": LINES})
    assert draft.status_code == 201, draft.text
    response = await client.post(f"/v1/invoices/{draft.json()['id']}/approve")
    assert response.status_code == 200, response.text
    return response.json()


def assert_says_what_it_said_at_approval(text: str, *, payable: bool = True) -> None:
    text = squeezed(text)
    # A paid invoice says nothing of how to pay, so no bank details.
    expected = SAID_AT_APPROVAL if payable else [v for v in SAID_AT_APPROVAL if v != "DE89370400440532013000"]
    assert all(value in text for value in expected), [v for v in expected if v not in text]
    assert not [value for value in SAID_LATER if value in text]


async def test_edits_after_approval_reach_no_surface_of_the_issued_invoice_only_the_next_one(
        svc, org, logo, read_events, publish, wait_for):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        saved = await client.patch("/v1/settings/invoicing", json={**SETTINGS_AT_APPROVAL, "logo_url": logo.url})
        assert saved.status_code == 200, saved.text
        created = await client.post("/v1/customers", json=CUSTOMER_AT_APPROVAL)
        assert created.status_code == 201, created.text
        customer_id = created.json()["id"]
        to_pay, to_void = await approved(client, customer_id), await approved(client, customer_id)
        [issued] = await events_for(read_events, wait_for, "invoice.issued", to_pay["id"])
        issued_snapshot = InvoiceIssued.model_validate(issued.data).invoice
        assert issued_snapshot.customer.name == "Käufer SARL" and issued_snapshot.issuer.company_name == "Muster GmbH"
        xml_at_approval = (await client.get(f"/v1/invoices/{to_pay['id']}/facturx.xml")).content
        # No PDF yet: the first one is rendered after the edits, as when the customer opens it days later.

        # The customer and the merchant change everything an invoice shows; the logo is repainted in place.
        edited = await client.patch(f"/v1/customers/{customer_id}", json=CUSTOMER_LATER)
        assert edited.status_code == 200 and edited.json()["name"] == "Nouveau Nom SAS", edited.text
        logo.repaint(BLUE)
        resaved = await client.patch("/v1/settings/invoicing", json={**SETTINGS_LATER, "logo_url": logo.url})
        assert resaved.status_code == 200, resaved.text
        async with svc.runtime.db.transaction() as session:  # no API renames an organization yet; guard it anyway
            await session.execute(update(Organization).where(Organization.id == organization_id)
                                  .values(name="Renamed Org"))

        # The API, the snapshot other services fetch, the e-invoice: as they were.
        assert (await client.get(f"/v1/invoices/{to_pay['id']}")).json() == to_pay
        assert await internal_snapshot(svc, client, organization_id, to_pay["id"]) == \
            issued_snapshot.model_dump(mode="json")
        xml = (await client.get(f"/v1/invoices/{to_pay['id']}/facturx.xml")).content
        assert xml == xml_at_approval
        assert xml_value(xml, f"{AGREEMENT}/ram:BuyerTradeParty/ram:Name") == ["Käufer SARL"]
        assert xml_value(xml, f"{AGREEMENT}/ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CityName") == ["Paris"]
        assert xml_value(xml, f"{AGREEMENT}/ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID") == \
            ["ap@kaeufer.example"]
        assert xml_value(xml, f"{AGREEMENT}/ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == \
            ["FR40303265045"]
        assert xml_value(xml, f"{AGREEMENT}/ram:SellerTradeParty/ram:Name") == ["Muster GmbH"]
        assert xml_value(xml, IBAN) == ["DE89370400440532013000"]

        # The first PDF, rendered only now: the parties, the language and the logo of the day of approval.
        pdf = (await client.get(f"/v1/invoices/{to_pay['id']}/pdf")).content
        assert_says_what_it_said_at_approval(pdf_text(pdf))
        assert logo_colours(pdf) == [RED]
        assert attachments(pdf)["factur-x.xml"] == [xml_at_approval]

        # Later events carry the same parties: paid (a payment from payments) and voided.
        await publish(payment_envelope(to_pay, organization_id, f"pay_{to_pay['id']}", to_pay["total"]))
        [paid] = await events_for(read_events, wait_for, "invoice.paid", to_pay["id"])
        voided = await client.post(f"/v1/invoices/{to_void['id']}/void")
        assert voided.status_code == 200 and voided.json()["customer"] == to_void["customer"], voided.text
        [void] = await events_for(read_events, wait_for, "invoice.voided", to_void["id"])
        for later in (InvoicePaid.model_validate(paid.data).invoice, InvoiceVoided.model_validate(void.data).invoice):
            assert (later.customer, later.issuer, later.organization_name, later.locale) == (
                issued_snapshot.customer, issued_snapshot.issuer, issued_snapshot.organization_name,
                issued_snapshot.locale)
        paid_body = (await client.get(f"/v1/invoices/{to_pay['id']}")).json()
        assert paid_body["status"] == "paid" and paid_body["customer"] == to_pay["customer"]
        paid_pdf = (await client.get(f"/v1/invoices/{to_pay['id']}/pdf")).content  # a new version, a new render
        assert paid_pdf != pdf and "PAYÉE" in pdf_text(paid_pdf).upper()  # the stamp, in French
        assert_says_what_it_said_at_approval(pdf_text(paid_pdf), payable=False)
        assert logo_colours(paid_pdf) == [RED]

        # The next invoice takes today's customer, settings, name and logo.
        fresh = await approved(client, customer_id)
        assert fresh["customer"] == edited.json()
        snapshot = await internal_snapshot(svc, client, organization_id, fresh["id"])
        assert (snapshot["customer"]["name"], snapshot["customer"]["email"], snapshot["customer"]["locale"]) == \
            ("Nouveau Nom SAS", "factures@nouveau.example", "de_DE")
        assert snapshot["customer"]["billing_address"]["city"] == "Lyon"
        assert (snapshot["issuer"]["company_name"], snapshot["issuer"]["accent_color"],
                snapshot["issuer"]["bank_details"]["iban"]) == ("Umbenannt AG", "#AA1122", "DE02120300000000202051")
        assert snapshot["organization_name"] == "Renamed Org"
        fresh_pdf = (await client.get(f"/v1/invoices/{fresh['id']}/pdf")).content
        fresh_text = squeezed(pdf_text(fresh_pdf))
        assert all(value in fresh_text for value in ("Nouveau Nom SAS", "Quai Perrache 9", "69002 Lyon",
                                                     "FR83404833048", "Umbenannt AG", "DE02120300000000202051",
                                                     "Rechnungsnummer"))
        assert "Käufer" not in fresh_text and "Muster" not in fresh_text
        assert logo_colours(fresh_pdf) == [BLUE]


async def test_a_draft_follows_the_customer_until_approval_freezes_it(svc, org):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        customer = (await client.post("/v1/customers", json=CUSTOMER_AT_APPROVAL)).json()
        draft = (await client.post("/v1/invoices", json={"customer_id": customer["id"], "currency": "eur",
                                                          "lines": LINES})).json()
        await client.patch(f"/v1/customers/{customer['id']}", json={"name": "Renamed While Draft"})
        assert (await client.get(f"/v1/invoices/{draft['id']}")).json()["customer"]["name"] == "Renamed While Draft"
        snapshot = await internal_snapshot(svc, client, organization_id, draft["id"])
        assert snapshot["customer"]["name"] == "Renamed While Draft"

        issued = (await client.post(f"/v1/invoices/{draft['id']}/approve")).json()
        assert issued["customer"]["name"] == "Renamed While Draft"
        await client.patch(f"/v1/customers/{customer['id']}", json={"name": "Renamed After Approval"})
        assert (await client.get(f"/v1/invoices/{draft['id']}")).json()["customer"]["name"] == "Renamed While Draft"
        listed = (await client.get("/v1/invoices", params={"customer_id": customer["id"]})).json()["data"]
        assert [i["customer"]["name"] for i in listed] == ["Renamed While Draft"]
        assert (await client.get(f"/v1/customers/{customer['id']}")).json()["name"] == "Renamed After Approval"


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
async def test_the_migration_freezes_invoices_issued_before_it(dialect, serve, settings_env, database_url, tmp_path,
                                                                 logo):
    url = (f"sqlite+aiosqlite:///{tmp_path}/invoicing.db" if dialect == "sqlite"
           else await database_url("invoicing_migration"))
    settings = settings_env(Settings, url, service_name=f"invoicing-migration-{uuid.uuid4().hex[:6]}",
                            outbound_allow_networks="127.0.0.0/8")
    app = build(settings)
    async with serve(app) as base_url:
        async with httpx.AsyncClient(base_url=base_url) as admin:
            created = (await admin.post("/internal/organizations", json={"name": "Before"},
                                        headers={INTERNAL_HEADER: settings.internal_secret})).json()
        headers = {"Authorization": f"Bearer {created['api_key']}"}
        async with httpx.AsyncClient(base_url=base_url, headers=headers) as client:
            await client.patch("/v1/settings/invoicing", json={**SETTINGS_AT_APPROVAL, "logo_url": logo.url})
            customer = (await client.post("/v1/customers", json=CUSTOMER_AT_APPROVAL)).json()
            issued = await approved(client, customer["id"])
            draft = (await client.post("/v1/invoices", json={"customer_id": customer["id"], "currency": "eur",
                                                              "lines": LINES})).json()

    # Back to the schema before 0004 (the frozen parties dropped, one logo per URL), then up again, as a
    # deployment of this revision meets invoices issued without it.
    config = alembic_config(app.state.runtime.migrations_dir, url)
    await asyncio.to_thread(command.downgrade, config, "0002_logos")
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        columns = await connection.run_sync(lambda sync: [c["name"] for c in inspect(sync).get_columns("invoices")])
    await engine.dispose()
    assert "parties_at_approval" not in columns and "discounts" in columns  # 0004 undone, the other heads kept

    app = build(settings)
    async with serve(app) as base_url:  # migrates to every head again
        async with httpx.AsyncClient(base_url=base_url, headers=headers) as client:
            edited = await client.patch(f"/v1/customers/{customer['id']}", json=CUSTOMER_LATER)
            assert edited.status_code == 200, edited.text
            logo.repaint(BLUE)
            resaved = await client.patch("/v1/settings/invoicing", json={**SETTINGS_LATER, "logo_url": logo.url})
            assert resaved.status_code == 200, resaved.text

            assert (await client.get(f"/v1/invoices/{issued['id']}")).json() == issued
            pdf = (await client.get(f"/v1/invoices/{issued['id']}/pdf")).content
            assert_says_what_it_said_at_approval(pdf_text(pdf))
            assert logo_colours(pdf) == [RED]
            assert (await client.get(f"/v1/invoices/{draft['id']}")).json()["customer"] == edited.json()
