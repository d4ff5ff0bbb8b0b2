"""Reading invoice PDFs back: pdftotext for the words, pypdf/factur-x for the embedded XML and metadata."""

from __future__ import annotations

import io
import subprocess
from datetime import date, datetime, timezone

from lxml import etree
from pypdf import PdfReader

from duely_contracts.models import InvoiceSnapshot

NS = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
      "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}


def pdf_text(pdf: bytes) -> str:
    """The PDF's text in reading layout, with no-break spaces made plain so tests can compare simply."""
    result = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True,
                            check=True)
    return plain(result.stdout.decode("utf-8"))


def plain(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def squeezed(text: str) -> str:
    """Runs of spaces collapsed (layout columns don't matter to what a line says), and no space before '%':
    pdftotext keeps or drops the no-break space of '19 %' depending on the glyph positions."""
    return "\n".join(" ".join(line.split()).replace(" %", "%") for line in plain(text).splitlines())


def link_uris(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    return [str(annot.get_object()["/A"]["/URI"]) for page in reader.pages for annot in page.get("/Annots", [])
            if "/URI" in annot.get_object().get("/A", {})]


def xmp(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")


def attachments(pdf: bytes) -> dict[str, list[bytes]]:
    return PdfReader(io.BytesIO(pdf)).attachments


def af_relationships(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    return [str(spec.get_object()["/AFRelationship"]) for spec in reader.trailer["/Root"].get("/AF", [])]


def xml_value(xml: bytes, path: str) -> list[str]:
    return [node.text for node in etree.fromstring(xml).xpath(path, namespaces=NS)]


def snapshot(**overrides) -> InvoiceSnapshot:
    """An issued EUR invoice, 19 % and 7 % VAT, with the issuer's branding and the buyer's billing facts."""
    body = {
        "id": "in_test1", "organization_id": "org_test", "organization_name": "Muster Org",
        "number": "INV-2026-00042", "status": "issued", "currency": "eur", "locale": "en_US",
        "customer": {"id": "cus_1", "name": "Käufer AG", "email": "ap@kaeufer.example", "tax_id": "FR40303265045",
                     "billing_address": {"lines": ["Rue de Rivoli 5"], "city": "Paris", "postal_code": "75001",
                                         "country": "FR"}},
        "payment_terms": "net_30", "memo": "Thank you for your business.",
        "issued_at": datetime(2026, 1, 5, 9, 30, tzinfo=timezone.utc), "due_date": date(2026, 2, 4),
        "subtotal": 123456, "tax": 21642, "total": 145098, "amount_paid": 0, "amount_due": 145098,
        "lines": [
            {"id": "il_1", "description": "Consulting", "quantity": "10.5", "unit_amount": 10000, "amount": 105000,
             "tax_rates": [{"display_name": "VAT", "percentage": "19"}]},
            {"id": "il_2", "description": "Handbooks", "quantity": "3", "unit_amount": 6152, "amount": 18456,
             "tax_rates": [{"display_name": "VAT reduced", "percentage": "7"}]},
        ],
        "tax_breakdown": [
            {"display_name": "VAT", "percentage": "19", "inclusive": False, "taxable_amount": 105000,
             "tax_amount": 19950},
            {"display_name": "VAT reduced", "percentage": "7", "inclusive": False, "taxable_amount": 18456,
             "tax_amount": 1292},
        ],
        "hosted_invoice_url": "https://pay.example/i/in_test1", "version": 2,
        "issuer": {"company_name": "Muster GmbH", "tax_id": "DE123456789",
                   "address": {"lines": ["Hauptstraße 1"], "city": "Berlin", "postal_code": "10115",
                               "country": "DE"},
                   "accent_color": "#0a7d4f", "footer": "Muster GmbH · Amtsgericht Berlin HRB 12345",
                   "bank_details": {"account_name": "Muster GmbH", "iban": "DE89370400440532013000",
                                    "bic": "COBADEFFXXX", "bank_name": "Commerzbank"}},
    }
    body["tax"] = sum(e["tax_amount"] for e in body["tax_breakdown"])
    body["total"] = body["amount_due"] = body["subtotal"] + body["tax"]
    for key, value in overrides.items():
        body[key] = value
    return InvoiceSnapshot.model_validate(body)
