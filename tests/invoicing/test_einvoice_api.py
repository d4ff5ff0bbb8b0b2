"""E-invoices through the API on Postgres: a spread of invoices (the README's, other currencies, every VAT
treatment, wire transfer accepted or not) whose facturx.xml and the XML embedded in their PDF pass the
official EN 16931 XSD and Schematron; the VAT treatments as settings; what the law requires, refused
without it."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import pytest
from facturx import get_facturx_xml_from_pdf

from duely_contracts.currency import minor_unit_exponent
from duely_invoicing.models import RUNTIME_TABLES, Customer, Invoice, InvoiceLine

from tests.invoicing.documents_helpers import attachments, pdf_text, squeezed, xml_value
from tests.invoicing.einvoice_validation import assert_valid_einvoice
from tests.invoicing.pricing_helpers import assert_error, create_tax_rate

RSM = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction"
SETTLEMENT = f"{RSM}/ram:ApplicableHeaderTradeSettlement"
MEANS_CODE = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode"
HEADER_TAX = f"{SETTLEMENT}/ram:ApplicableTradeTax"
BUYER_VAT = f"{RSM}/ram:ApplicableHeaderTradeAgreement/ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID"

# The README's organization settings (Acme GmbH, card and wire transfer accepted, bank details).
README_SETTINGS = {
    "company_name": "Acme GmbH", "tax_id": "DE123456789", "accent_color": "#0F766E",
    "address": {"lines": ["Hauptstr. 1"], "city": "Berlin", "postal_code": "10115", "country": "DE"},
    "currency": "eur", "locale": "de_DE", "invoice_prefix": "ACME", "number_format": "{PREFIX}-{YY}{MM}-{NNN}",
    "number_reset": "yearly", "accepted_payment_methods": ["card", "wire_transfer"],
    "bank_details": {"account_name": "Acme GmbH", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX"}}
CLIENT_SARL = {
    "name": "Client SARL", "email": "compta@client.example", "payment_terms": "net_15", "locale": "fr_FR",
    "billing_address": {"lines": ["1 rue de la Paix"], "city": "Paris", "postal_code": "75002", "country": "FR"},
    "finance_contacts": [{"name": "CFO", "email": "cfo@client.example"}]}
FR_VAT = "FR40303265045"
US_BUYER = {"name": "Ada Corp", "email": "ap@ada.example", "locale": "en_US",
            "billing_address": {"lines": ["1 Main St"], "city": "Austin", "region": "TX", "postal_code": "78701",
                                "country": "US"}}
TWO_LINES = [{"description": "Consulting", "quantity": "12.5", "unit_amount": 9000,
              "period": {"start": "2026-11-01", "end": "2026-11-30"}},
             {"description": "Handbook", "quantity": 3, "unit_amount": 2500, "discounts": [{"amount": 500}]}]


@dataclass
class Case:
    settings: dict
    customer: dict
    invoice: dict
    payment_means: str
    category: list[str] = field(default_factory=lambda: ["S", "S"])
    zero_tax: bool = False


def vat19(**line) -> dict:
    return {**line, "tax_rates": [{"display_name": "MwSt", "percentage": "19"}]}


SPREAD = {
    # The README's EUR invoice: two rates, a period, a line discount and 10 % off the invoice.
    "readme_eur": Case(README_SETTINGS, CLIENT_SARL, {"discounts": [{"percentage": "10"}], "lines": [
        {**TWO_LINES[0], "tax_rate_ids": ["<MwSt>"]},
        {**TWO_LINES[1], "tax_rates": [{"display_name": "MwSt ermäßigt", "percentage": "7"}]}]}, "58"),
    # The README tour's first invoice (a line without tax: exempt, E), from a seller EN 16931 can name.
    "usd_readme_tour": Case(README_SETTINGS, US_BUYER, {"currency": "usd", "payment_terms": "net_30", "lines": [
        {"description": "Consulting hours", "quantity": "1.5", "unit_amount": 20000,
         "tax_rates": [{"display_name": "Sales tax", "percentage": "8.25", "inclusive": False}]},
        {"description": "Support plan", "quantity": 1, "unit_amount": 5000}]}, "30", ["S", "E"]),
    "eur_wire_transfer_not_accepted": Case(
        {**README_SETTINGS, "accepted_payment_methods": ["card"]}, CLIENT_SARL,
        {"lines": [vat19(**TWO_LINES[0]), vat19(**TWO_LINES[1])]}, "68"),
    "usd_inclusive_tax": Case(
        {**README_SETTINGS, "company_name": "Acme Ireland Ltd", "tax_id": "IE6388047V",
         "address": {"lines": ["1 Grand Canal Sq"], "city": "Dublin", "country": "IE"},
         "accepted_payment_methods": ["card", "ach_debit"]}, US_BUYER,
        {"currency": "usd", "lines": [
            {"description": "Licence", "quantity": 3, "unit_amount": 12300,
             "tax_rates": [{"display_name": "VAT", "percentage": "23", "inclusive": True}]},
            {"description": "Setup", "quantity": 1, "unit_amount": 9999, "discounts": [{"percentage": "15"}],
             "tax_rates": [{"display_name": "VAT", "percentage": "23", "inclusive": True}]}]}, "68"),
    "jpy": Case(README_SETTINGS, {**US_BUYER, "billing_address": {"lines": ["1-1 Marunouchi"], "city": "Tokyo",
                                                                  "country": "JP"}},
                {"currency": "jpy", "discounts": [{"percentage": "3"}],
                 "lines": [vat19(description="Hosting", quantity=7, unit_amount=1333),
                           vat19(description="Support", quantity="2.5", unit_amount=999)]}, "30"),
    "kwd": Case(README_SETTINGS, {**US_BUYER, "billing_address": {"lines": ["Block 1"], "city": "Kuwait City",
                                                                  "country": "KW"}},
                {"currency": "kwd", "discounts": [{"amount": 1001}],
                 "lines": [vat19(description="Hosting", quantity=3, unit_amount=12345),
                           {"description": "Support", "quantity": "1.5", "unit_amount": 9999,
                            "tax_rates": [{"display_name": "VAT reduced", "percentage": "7"}]}]}, "30",
                category=["S", "S"]),
    "reverse_charge": Case(README_SETTINGS, {**CLIENT_SARL, "tax_id": FR_VAT, "tax_treatment": "reverse_charge"},
                           {"discounts": [{"percentage": "10"}], "lines": [vat19(**TWO_LINES[0]),
                                                                           vat19(**TWO_LINES[1])]},
                           "58", ["AE", "AE"], True),
    "intra_community_supply": Case(
        README_SETTINGS, {**CLIENT_SARL, "tax_id": FR_VAT}, {"tax_treatment": "intra_community_supply", "lines": [
            vat19(description="Machine parts", quantity=40, unit_amount=1250)]}, "58", ["K"], True),
    "export": Case(README_SETTINGS, US_BUYER, {"tax_treatment": "export", "lines": [vat19(**TWO_LINES[0]),
                                                                                      vat19(**TWO_LINES[1])]},
                   "58", ["G", "G"], True),
    "exempt": Case(README_SETTINGS, {**CLIENT_SARL, "tax_exempt": True,
                                     "tax_exemption_reason": "Article 132(1)(i) of Directive 2006/112/EC"},
                   {"tax_exemption_reason_code": "VATEX-EU-132-1I",
                    "lines": [{"description": "Training course", "quantity": 2, "unit_amount": 45000}]},
                   "58", ["E"], True),
}


async def _seller_and_customer(client, case: Case) -> dict:
    response = await client.patch("/v1/settings/invoicing", json=case.settings)
    assert response.status_code == 200, response.text
    response = await client.post("/v1/customers", json=case.customer)
    assert response.status_code == 201, response.text
    return response.json()


async def _issue(client, customer_id: str, invoice: dict) -> dict:
    lines = invoice["lines"]
    if any("<MwSt>" in line.get("tax_rate_ids", []) for line in lines):  # a reusable rate, as the README does
        rate = await create_tax_rate(client, "MwSt", "19", country="DE")
        lines = [{**line, "tax_rate_ids": [rate["id"]]} if line.get("tax_rate_ids") else line for line in lines]
    draft = await client.post("/v1/invoices", json={**invoice, "lines": lines, "customer_id": customer_id})
    assert draft.status_code == 201, draft.text
    approved = await client.post(f"/v1/invoices/{draft.json()['id']}/approve")
    assert approved.status_code == 200, approved.text
    return approved.json()


async def _documents(client, invoice: dict) -> tuple[bytes, bytes, bytes]:
    """(facturx.xml, the XML embedded in the PDF, the PDF)."""
    xml = await client.get(f"/v1/invoices/{invoice['id']}/facturx.xml")
    assert xml.status_code == 200, xml.text
    pdf = await client.get(f"/v1/invoices/{invoice['id']}/pdf")
    assert pdf.status_code == 200, pdf.text
    _, embedded = get_facturx_xml_from_pdf(pdf.content, check_xsd=False)
    return xml.content, embedded, pdf.content


@pytest.mark.parametrize("name", SPREAD)
async def test_every_invoice_of_the_spread_passes_the_official_rules(svc, org, name):
    case = SPREAD[name]
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = await _seller_and_customer(client, case)
        invoice = await _issue(client, customer["id"], case.invoice)
        standalone, embedded, _ = await _documents(client, invoice)
    assert embedded == standalone  # one e-invoice, alone or inside the PDF
    assert_valid_einvoice(standalone)
    assert xml_value(standalone, MEANS_CODE) == [case.payment_means]  # CII-SR-467: one code
    categories = xml_value(standalone, f"{RSM}/ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedLineTradeSettlement"
                                       "/ram:ApplicableTradeTax/ram:CategoryCode")
    assert categories == case.category
    # The amount due is the invoice's own (to the cent: KWD's fils are rounded, EN 16931 has two decimals).
    exponent = minor_unit_exponent(invoice["currency"])
    due = Decimal(invoice["amount_due"]).scaleb(-exponent)
    places = Decimal(1).scaleb(-min(exponent, 2))
    assert xml_value(standalone, f"{SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
                                 "/ram:DuePayableAmount") == [str(due.quantize(places, rounding=ROUND_HALF_UP))]
    if case.zero_tax:
        [entry] = invoice["tax_breakdown"]
        assert invoice["tax"] == 0 and invoice["total"] == invoice["subtotal"] - invoice["total_discount"]
        assert (entry["category"], entry["percentage"], entry["tax_amount"]) == (case.category[0], "0", 0)
        assert entry["taxable_amount"] == invoice["total"]
        assert all(line["tax_rates"] == [] and line["tax_amount"] == 0 for line in invoice["lines"])
        assert invoice["tax_treatment"]["category"] == case.category[0]
        assert xml_value(standalone, f"{HEADER_TAX}/ram:CalculatedAmount") == ["0.00"]
        code = {"AE": "VATEX-EU-AE", "K": "VATEX-EU-IC", "G": "VATEX-EU-G", "E": "VATEX-EU-132-1I"}
        assert xml_value(standalone, f"{HEADER_TAX}/ram:ExemptionReasonCode") == [code[case.category[0]]]


async def test_reverse_charge_end_to_end_wording_on_the_pdf_vat_ids_and_the_issued_event(svc, org, read_events):
    _, api_key = org
    async with svc.client(api_key) as client:
        case = SPREAD["reverse_charge"]
        english = {**case.customer, "locale": "en_GB"}
        customer = await _seller_and_customer(client, Case(case.settings, english, case.invoice, "58"))
        resolved = (await client.get("/v1/settings/invoicing/resolved",
                                     params={"customer_id": customer["id"]})).json()["settings"]
        assert resolved["tax_treatment"] == {"value": "reverse_charge", "source": "customer"}
        invoice = await _issue(client, customer["id"], case.invoice)
        xml, _, pdf = await _documents(client, invoice)
        french = await _seller_and_customer(client, case)
        invoice_fr = await _issue(client, french["id"], case.invoice)
        _, _, pdf_fr = await _documents(client, invoice_fr)
        own = (await client.get(f"/v1/invoices/{invoice['id']}/settings")).json()["settings"]

    text = " ".join(squeezed(pdf_text(pdf)).split())
    assert "Reverse charge: VAT to be accounted for by the recipient (Article 196, Directive 2006/112/EC)" in text
    assert "Tax ID: DE123456789" in text and f"Tax ID: {FR_VAT}" in text  # both VAT ids on the PDF
    assert "Reverse charge 0%" in text and "19%" not in text
    text_fr = " ".join(squeezed(pdf_text(pdf_fr)).split())
    assert "Autoliquidation : TVA due par le preneur (article 196 de la directive 2006/112/CE)" in text_fr
    assert xml_value(xml, BUYER_VAT) == [FR_VAT]
    assert own["tax_treatment"] == {"value": "reverse_charge", "source": "customer"}

    treatment = invoice["tax_treatment"]
    assert (treatment["type"], treatment["category"], treatment["exemption_reason_code"]) == (
        "reverse_charge", "AE", "VATEX-EU-AE")
    assert set(treatment["notices"]) == {"en", "de", "fr"}
    issued = [e for e in await read_events("invoice.issued") if e.aggregate_id == invoice["id"]]
    snapshot = issued[0].data["invoice"]
    assert snapshot["tax_treatment"] == treatment  # the hosted page and emails read it from here
    assert snapshot["tax"] == 0 and snapshot["tax_breakdown"][0]["category"] == "AE"
    assert snapshot["customer"]["tax_id"] == FR_VAT and snapshot["issuer"]["tax_id"] == "DE123456789"


async def test_an_invoice_overrides_its_customers_treatment(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = await _seller_and_customer(client, Case(README_SETTINGS, {**CLIENT_SARL, "tax_id": FR_VAT,
                                                                             "tax_treatment": "reverse_charge"},
                                                           {}, ""))
        standard = await _issue(client, customer["id"], {"tax_treatment": "standard", "lines": [vat19(
            description="Local service", quantity=1, unit_amount=10000)]})
        settings = (await client.get(f"/v1/invoices/{standard['id']}/settings")).json()["settings"]
    assert standard["tax"] == 1900 and standard["tax_treatment"]["type"] == "standard"
    assert settings["tax_treatment"] == {"value": "standard", "source": "invoice"}


# --- refused without what the law requires, and nothing written ------------------------------------

async def _counts(svc) -> tuple[int, ...]:
    return (await svc.count(Customer), await svc.count(Invoice), await svc.count(InvoiceLine),
            await svc.count(RUNTIME_TABLES.outbox))


async def test_reverse_charge_without_vat_ids_is_a_400_naming_the_field_and_writes_nothing(svc, org):
    _, api_key = org
    line = [vat19(description="Consulting", quantity=1, unit_amount=10000)]
    async with svc.client(api_key) as client:
        assert (await client.patch("/v1/settings/invoicing", json={
            "address": README_SETTINGS["address"], "currency": "eur"})).status_code == 200  # no tax_id yet
        plain = (await client.post("/v1/customers", json=CLIENT_SARL)).json()
        with_vat = (await client.post("/v1/customers", json={**CLIENT_SARL, "tax_id": FR_VAT})).json()
        before = await _counts(svc)

        # The customer's own treatment needs its VAT id.
        assert_error(await client.post("/v1/customers", json={**CLIENT_SARL, "tax_treatment": "reverse_charge"}),
                     400, "parameter_missing", "tax_id")
        assert_error(await client.post("/v1/customers", json={**CLIENT_SARL, "tax_id": "12345",
                                                              "tax_treatment": "intra_community_supply"}),
                     400, "parameter_invalid", "tax_id")
        assert_error(await client.patch(f"/v1/customers/{plain['id']}", json={"tax_treatment": "reverse_charge"}),
                     400, "parameter_missing", "tax_id")
        # An invoice's treatment needs the seller's and the customer's VAT ids.
        missing_both = assert_error(await client.post("/v1/invoices", json={
            "customer_id": plain["id"], "lines": line, "tax_treatment": "reverse_charge"}),
            400, "parameter_missing", "settings.tax_id")
        assert "seller's EU VAT id" in missing_both["message"] and "customer's EU VAT id" in missing_both["message"]
        assert_error(await client.post("/v1/invoices", json={"customer_id": with_vat["id"], "lines": line,
                                                             "tax_treatment": "export"}),
                     400, "parameter_missing", "settings.tax_id")
        assert (await client.patch("/v1/settings/invoicing", json={"tax_id": "DE123456789"})).status_code == 200
        assert_error(await client.post("/v1/invoices", json={"customer_id": plain["id"], "lines": line,
                                                             "tax_treatment": "reverse_charge"}),
                     400, "parameter_missing", "customer.tax_id")
        assert_error(await client.post("/v1/invoices", json={"customer_id": plain["id"], "lines": line,
                                                             "tax_treatment": "intra_community_supply"}),
                     400, "parameter_missing", "customer.tax_id")
        assert_error(await client.post("/v1/invoices", json={"customer_id": plain["id"], "lines": line,
                                                             "tax_treatment": "exempt"}),
                     400, "parameter_missing", "tax_exemption_reason")
        assert_error(await client.post("/v1/invoices", json={"customer_id": plain["id"], "lines": line,
                                                             "tax_treatment": "zero"}),
                     400, "parameter_invalid", "tax_treatment")
        assert_error(await client.post("/v1/invoices", json={"customer_id": plain["id"], "lines": line,
                                                             "tax_treatment": "exempt", "tax_exemption_reason": "x",
                                                             "tax_exemption_reason_code": "VATEX-EU-AE"}),
                     400, "parameter_invalid", "tax_exemption_reason_code")
        assert await _counts(svc) == before
        assert (await client.get(f"/v1/customers/{plain['id']}")).json()["version"] == plain["version"]

        # Seller and buyer in the same member state: Article 196 does not apply.
        assert (await client.patch("/v1/settings/invoicing", json={"tax_id": "FR11222333444"})).status_code == 200
        assert_error(await client.post("/v1/invoices", json={"customer_id": with_vat["id"], "lines": line,
                                                             "tax_treatment": "reverse_charge"}),
                     400, "parameter_invalid", "customer.tax_id")
        assert await _counts(svc) == before


async def test_a_customer_who_is_tax_exempt_needs_a_reason_and_then_pays_no_tax(svc, org):
    _, api_key = org
    line = [vat19(description="Training", quantity=1, unit_amount=10000)]
    async with svc.client(api_key) as client:
        assert (await client.patch("/v1/settings/invoicing", json=README_SETTINGS)).status_code == 200
        customer = (await client.post("/v1/customers", json={**CLIENT_SARL, "tax_exempt": True})).json()
        assert_error(await client.post("/v1/invoices", json={"customer_id": customer["id"], "lines": line}),
                     400, "parameter_missing", "tax_exemption_reason")
        invoice = await _issue(client, customer["id"], {"lines": line, "tax_exemption_reason": "§ 4 Nr. 21 UStG"})
        _, _, pdf = await _documents(client, invoice)
    assert (invoice["tax"], invoice["total"], invoice["tax_treatment"]["type"]) == (0, 10000, "exempt")
    assert invoice["tax_breakdown"][0]["exemption_reason"] == "§ 4 Nr. 21 UStG"
    text = " ".join(squeezed(pdf_text(pdf)).split())
    assert "Exonération de TVA : § 4 Nr. 21 UStG" in text  # the customer reads French


async def test_approval_retakes_the_vat_ids_and_refuses_when_one_is_gone(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = await _seller_and_customer(client, Case(README_SETTINGS, {**CLIENT_SARL, "tax_id": FR_VAT,
                                                                             "tax_treatment": "reverse_charge"},
                                                           {}, ""))
        draft = (await client.post("/v1/invoices", json={"customer_id": customer["id"], "lines": [
            vat19(description="Consulting", quantity=1, unit_amount=10000)]})).json()
        assert (await client.patch("/v1/settings/invoicing", json={"tax_id": None})).status_code == 200
        assert_error(await client.post(f"/v1/invoices/{draft['id']}/approve"), 409,
                     "tax_treatment_requirements_unmet", "settings.tax_id")
        still = (await client.get(f"/v1/invoices/{draft['id']}")).json()
        assert (still["status"], still["number"], still["version"]) == ("draft", None, draft["version"])
        assert (await client.patch("/v1/settings/invoicing", json={"tax_id": "DE123456789"})).status_code == 200
        approved = (await client.post(f"/v1/invoices/{draft['id']}/approve")).json()
    assert approved["number"].endswith("-001")  # the refused approval took no number


async def test_an_invoice_without_what_en16931_requires_has_no_e_invoice(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:  # the README tour's first invoice: no seller address or VAT id
        customer = (await client.post("/v1/customers", json={"name": "Ada Lovelace", "email": "ada@example.com"})
                    ).json()
        invoice = await _issue(client, customer["id"], {"currency": "usd", "lines": [
            {"description": "Consulting hours", "quantity": "1.5", "unit_amount": 20000,
             "tax_rates": [{"display_name": "Sales tax", "percentage": "8.25"}]},
            {"description": "Support plan", "quantity": 1, "unit_amount": 5000}]})
        xml = await client.get(f"/v1/invoices/{invoice['id']}/facturx.xml")
        pdf = await client.get(f"/v1/invoices/{invoice['id']}/pdf")
    error = assert_error(xml, 409, "einvoice_incomplete", "settings.address")
    assert "settings.tax_id" not in error["message"] and "VAT identifier" in error["message"]
    assert "buyer's postal address" in error["message"]
    assert pdf.status_code == 200 and attachments(pdf.content) == {}


async def test_a_line_added_to_a_zero_tax_draft_gets_no_tax(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = await _seller_and_customer(client, Case(README_SETTINGS, US_BUYER, {}, ""))
        draft = (await client.post("/v1/invoices", json={"customer_id": customer["id"], "tax_treatment": "export",
                                                         "lines": [{"description": "Consulting", "quantity": 1,
                                                                    "unit_amount": 10000}]})).json()
        edited = await client.post(f"/v1/invoices/{draft['id']}/lines", json=vat19(
            description="Rush fee", quantity=1, unit_amount=5000))
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert (body["tax"], body["total"]) == (0, 15000)
    assert [line["tax_rates"] for line in body["lines"]] == [[], []]
    assert [(e["category"], e["taxable_amount"], e["tax_amount"]) for e in body["tax_breakdown"]] == [("G", 15000, 0)]
