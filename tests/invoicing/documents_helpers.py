"""Reading invoice PDFs back: pdftotext for the words, pypdf/factur-x for the embedded XML and metadata."""

from __future__ import annotations

import io
import re
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


def pdfa_problems(pdf: bytes) -> list[str]:
    """What keeps a PDF from being PDF/A-3b, as far as its structure shows (veraPDF checks more; it is Java and
    not installed here): the header, no encryption, every font embedded, an RGB output intent, uncompressed XMP
    naming part 3 / level B and agreeing with the info dictionary, no transparency, printable annotations, an
    EOL before each endstream, embedded files that say what they are and are listed in /AF."""
    problems = []
    if not re.match(rb"%PDF-1\.[0-7]\r?\n%[\x80-\xff]{4}", pdf):
        problems.append("header: %PDF-1.n then a comment of four bytes above 127")
    if re.search(rb"[^\r\n]endstream", pdf):
        problems.append("an endstream without an EOL before it")
    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    if "/Encrypt" in reader.trailer:
        problems.append("encrypted")
    if "/ID" not in reader.trailer:
        problems.append("no file ID")
    intents = [i.get_object() for i in root.get("/OutputIntents", [])]
    if not any(i["/S"] == "/GTS_PDFA1" and i["/DestOutputProfile"].get_object()["/N"] == 3 for i in intents):
        problems.append("no RGB GTS_PDFA1 output intent")
    metadata = root["/Metadata"].get_object()
    if "/Filter" in metadata:
        problems.append("XMP compressed (PDF/A-1 forbids it; validators of later parts differ)")
    packet = metadata.get_data()
    rdf = etree.fromstring(packet[packet.index(b"<x:xmpmeta"):packet.rindex(b"</x:xmpmeta>") + 12])
    ns = {"pdfaid": "http://www.aiim.org/pdfa/ns/id/", "dc": "http://purl.org/dc/elements/1.1/",
          "xmp": "http://ns.adobe.com/xap/1.0/", "pdf": "http://ns.adobe.com/pdf/1.3/",
          "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}

    def value(path: str) -> str:  # an XMP property, as an element or as an attribute
        return rdf.xpath(f"string({path} | {path.replace('//', '//@', 1)})", namespaces=ns)

    if value("//pdfaid:part") != "3" or value("//pdfaid:conformance") != "B":
        problems.append("XMP does not say PDF/A-3B")
    info = reader.trailer["/Info"].get_object()
    agree = {"/Title": "//dc:title//rdf:li", "/Author": "//dc:creator//rdf:li", "/Producer": "//pdf:Producer",
             "/Creator": "//xmp:CreatorTool"}
    for key, path in agree.items():
        if key in info and str(info[key]) != (value(path) if key in ("/Producer", "/Creator") else
                                              rdf.xpath(f"string({path})", namespaces=ns)):
            problems.append(f"info {key} disagrees with the XMP")
    for key, path in {"/CreationDate": "//xmp:CreateDate", "/ModDate": "//xmp:ModifyDate"}.items():
        if key in info:
            d = str(info[key])
            iso = f"{d[2:6]}-{d[6:8]}-{d[8:10]}T{d[10:12]}:{d[12:14]}:{d[14:16]}+{d[17:19]}:{d[20:22]}"
            if iso != value(path):
                problems.append(f"info {key} disagrees with the XMP")
    for number, page in enumerate(reader.pages, start=1):
        resources = page["/Resources"]
        for font in resources.get("/Font", {}).values():
            font = font.get_object()
            descendants = [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
            for f in descendants:
                descriptor = f.get("/FontDescriptor")
                if descriptor is None or not any(k in descriptor.get_object() for k in
                                                 ("/FontFile", "/FontFile2", "/FontFile3")):
                    problems.append(f"page {number}: font {f.get('/BaseFont')} not embedded")
        for state in resources.get("/ExtGState", {}).values():
            state = state.get_object()
            if state.get("/CA", 1) != 1 or state.get("/ca", 1) != 1 or state.get("/SMask", "/None") != "/None":
                problems.append(f"page {number}: transparency in a graphics state")
        for xobject in resources.get("/XObject", {}).values():
            if "/SMask" in xobject.get_object():
                problems.append(f"page {number}: an image with a soft mask")
        if "/Group" in page:
            problems.append(f"page {number}: a transparency group")
        for annot in page.get("/Annots", []):
            flags = annot.get_object().get("/F", 0)
            if not flags & 4 or flags & 0b100011:
                problems.append(f"page {number}: an annotation not set to print")
    files = root.get("/Names", {}).get("/EmbeddedFiles", {}).get("/Names", [])
    associated = [a.get_object() for a in root.get("/AF", [])]
    for spec in [s.get_object() for s in files[1::2]]:
        stream = spec["/EF"]["/F"].get_object()
        if "/Subtype" not in stream or "/ModDate" not in stream.get("/Params", {}):
            problems.append("an embedded file without its MIME type or date")
        if "/AFRelationship" not in spec or "/UF" not in spec or spec not in associated:
            problems.append("an embedded file not associated (AFRelationship, UF, catalog AF)")
    if b"/JavaScript" in pdf or b"/JS " in pdf:
        problems.append("JavaScript")
    return problems
