"""Invoice PDFs and Factur-X XML, rendered from snapshots (no database): words, formats, e-invoice."""

from __future__ import annotations

import base64
import http.server
import io
import threading
from decimal import Decimal

import pytest
from facturx import get_facturx_xml_from_pdf, xml_check_xsd

from duely_invoicing.documents import bench, facturx, renderer
from duely_presentation.content import from_snapshot
from duely_presentation.i18n import Formatter
from duely_presentation.view import build_view

from tests.invoicing.documents_helpers import (
    af_relationships, attachments, link_uris, pdf_text, pdfa_problems, snapshot, squeezed, xml_value, xmp,
)

RSM = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction"
SUMMATION = f"{RSM}/ram:ApplicableHeaderTradeSettlement/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
HEADER_TAX = f"{RSM}/ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax"


@pytest.fixture(scope="module")
def issued_pdf() -> bytes:
    return renderer.render_invoice(from_snapshot(snapshot()))


def test_issued_invoice_shows_number_parties_lines_taxes_totals_and_how_to_pay(issued_pdf):
    text = squeezed(pdf_text(issued_pdf))
    assert "Invoice" in text and "Invoice number INV-2026-00042" in text
    assert "Issue date January 5, 2026" in text and "Due date February 4, 2026" in text
    assert "Payment terms Net 30 days" in text
    for fact in ("Muster GmbH", "Hauptstraße 1", "10115 Berlin", "Germany", "Tax ID: DE123456789",
                 "Käufer AG", "Rue de Rivoli 5", "75001 Paris", "France", "Tax ID: FR40303265045"):
        assert fact in text, fact
    assert "Consulting 10.5 €100.00 19% €1,050.00" in text
    assert "Handbooks 3 €61.52 7% €184.56" in text
    # The tax breakdown (rate, taxable, tax) and the totals, each tax line once per rate.
    assert "VAT 19% €1,050.00 €199.50" in text
    assert "VAT reduced 7% €184.56 €12.92" in text
    assert "Subtotal €1,234.56" in text and "Total €1,446.98" in text and "AMOUNT DUE €1,446.98" in text
    assert "Pay online →" in text and "https://pay.example" not in text  # a link, not a URL wrapped over lines
    assert link_uris(issued_pdf) == ["https://pay.example/i/in_test1"]
    assert "IBAN DE89370400440532013000" in text and "BIC COBADEFFXXX" in text and "Reference to quote INV-2026-00042" in text
    assert "Thank you for your business." in text
    assert "Muster GmbH · Amtsgericht Berlin HRB 12345" in text and "Page 1 of 1" in text


def test_issued_invoice_is_pdf_a_3b_with_the_factur_x_xml_embedded(issued_pdf):
    metadata = xmp(issued_pdf)
    assert "<pdfaid:part>3</pdfaid:part>" in metadata or 'pdfaid:part="3"' in metadata
    assert "conformance>B<" in metadata or 'pdfaid:conformance="B"' in metadata
    assert "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in metadata
    assert "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>" in metadata
    assert list(attachments(issued_pdf)) == ["factur-x.xml"]
    assert af_relationships(issued_pdf) == ["/Data"]

    filename, xml = get_facturx_xml_from_pdf(issued_pdf, check_xsd=False)
    assert filename == "factur-x.xml"
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931") is True
    assert xml_value(xml, "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID") == ["INV-2026-00042"]
    assert xml_value(xml, f"{RSM}/ram:ApplicableHeaderTradeSettlement/ram:InvoiceCurrencyCode") == ["EUR"]
    assert xml_value(xml, f"{HEADER_TAX}/ram:RateApplicablePercent") == ["19.00", "7.00"]
    assert xml_value(xml, f"{HEADER_TAX}/ram:BasisAmount") == ["1050.00", "184.56"]
    assert xml_value(xml, f"{HEADER_TAX}/ram:CalculatedAmount") == ["199.50", "12.92"]
    for element, value in (("LineTotalAmount", "1234.56"), ("TaxBasisTotalAmount", "1234.56"),
                           ("TaxTotalAmount", "212.42"), ("GrandTotalAmount", "1446.98"),
                           ("DuePayableAmount", "1446.98")):
        assert xml_value(xml, f"{SUMMATION}/ram:{element}") == [value], element
    assert xml_value(xml, f"{SUMMATION}/ram:RoundingAmount") == []
    seller = f"{RSM}/ram:ApplicableHeaderTradeAgreement/ram:SellerTradeParty"
    assert xml_value(xml, f"{seller}/ram:Name") == ["Muster GmbH"]
    assert xml_value(xml, f"{seller}/ram:PostalTradeAddress/ram:CountryID") == ["DE"]
    assert xml_value(xml, f"{seller}/ram:SpecifiedTaxRegistration/ram:ID") == ["DE123456789"]
    due = f"{RSM}/ram:ApplicableHeaderTradeSettlement/ram:SpecifiedTradePaymentTerms"
    assert xml_value(xml, f"{due}/ram:DueDateDateTime/*") == ["20260204"]
    assert xml_value(xml, f"{RSM}/ram:ApplicableHeaderTradeSettlement/ram:SpecifiedTradeSettlementPaymentMeans"
                          "/ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == ["DE89370400440532013000"]


def test_german_labels_numbers_and_dates():
    text = squeezed(pdf_text(renderer.render_invoice(from_snapshot(snapshot(locale="de_DE")))))
    assert "Rechnung" in text and "Rechnungsnummer INV-2026-00042" in text
    assert "Rechnungsdatum 5. Januar 2026" in text and "Fällig am 4. Februar 2026" in text
    assert "Zahlbar innerhalb von 30 Tagen" in text
    assert "Consulting 10,5 100,00 € 19% 1.050,00 €" in text
    assert "VAT 19% 1.050,00 € 199,50 €" in text
    assert "Zwischensumme 1.234,56 €" in text and "Gesamtbetrag 1.446,98 €" in text
    assert "ZU ZAHLEN 1.446,98 €" in text and "USt-IdNr.: DE123456789" in text and "Deutschland" in text


def test_french_labels_numbers_and_dates():
    text = squeezed(pdf_text(renderer.render_invoice(from_snapshot(snapshot(locale="fr_FR")))))
    assert "Facture" in text and "Numéro de facture INV-2026-00042" in text
    assert "Date d’émission 5 janvier 2026" in text and "Date d’échéance 4 février 2026" in text
    assert "Consulting 10,5 100,00 € 19% 1 050,00 €" in text  # narrow no-break space as thousands separator
    assert "Sous-total 1 234,56 €" in text and "Montant dû 1 446,98 €".upper() in text.upper()
    assert "Allemagne" in text and "Payer en ligne" in text


@pytest.mark.parametrize(("currency", "locale", "expected"), [("jpy", "en_US", "¥144,698"),
                                                              ("kwd", "en_US", "KWD144.698")])
def test_amounts_use_the_currency_precision(currency, locale, expected):
    text = squeezed(pdf_text(renderer.render_invoice(from_snapshot(snapshot(currency=currency, locale=locale)))))
    assert f"Total {expected}" in text


def test_draft_is_marked_and_has_no_number_and_no_xml():
    draft = from_snapshot(snapshot(status="draft", number=None, issued_at=None, due_date=None,
                                   hosted_invoice_url=None))
    pdf = renderer.render_invoice(draft)
    text = squeezed(pdf_text(pdf))
    assert "Invoice DRAFT" in text and "Draft: not a valid invoice until issued" in text
    assert "INV-" not in text and "Invoice number" not in text and "Pay online" not in text
    assert attachments(pdf) == {}
    with pytest.raises(facturx.NotAnInvoice):
        facturx.build_xml(draft)


PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360f80f00000101010018dd8db40000000049454e44ae426082")


def test_logo_from_a_data_uri_is_drawn():
    png = base64.b64encode(PNG).decode()
    with_logo = snapshot(issuer={"company_name": "Logo Co", "logo_url": f"data:image/png;base64,{png}"})
    assert b"/Subtype /Image" in renderer.render_invoice(from_snapshot(with_logo))


def test_rendering_never_fetches_a_logo_over_the_network():
    """Logos are fetched when the settings are saved (tests/invoicing/test_settings_logo.py) and reach
    the renderer as data: URIs; a URL that slips through is left out, not fetched."""
    fetched = []

    class Logo(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            fetched.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(PNG)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Logo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/logo.png"
        pdf = renderer.render_invoice(from_snapshot(snapshot(issuer={"company_name": "Logo Co", "logo_url": url})))
    finally:
        server.shutdown()
    assert fetched == []
    assert b"/Subtype /Image" not in pdf and "Logo Co" in pdf_text(pdf)


def test_discounts_inclusive_tax_periods_and_payments_reconcile_in_the_xml():
    # 100.00 incl. 19% with a 10% own discount (−10.00) + a 50.00 line at 7%, then 6.00 off the invoice
    # spread pro rata (90:50 → 3.86 and 2.14), as pricing does; 20.00 already paid.
    lines = [
        {"id": "il_1", "description": "Gross-priced service", "quantity": "1", "unit_amount": 10000,
         "amount": 10000, "discount_amount": 1386, "tax_amount": 1375,
         "discounts": [{"percentage": "10", "amount": None, "discount_amount": 1000}],
         "period": {"start": "2026-01-01", "end": "2026-01-31"},
         "tax_rates": [{"display_name": "MwSt", "percentage": "19", "inclusive": True}]},
        {"id": "il_2", "description": "Net-priced book", "quantity": "2", "unit_amount": 2500, "amount": 5000,
         "discount_amount": 214, "tax_amount": 335,
         "tax_rates": [{"display_name": "MwSt reduziert", "percentage": "7"}]},
    ]
    breakdown = [{"display_name": "MwSt", "percentage": "19", "inclusive": True, "taxable_amount": 8614,
                  "tax_amount": 1375},
                 {"display_name": "MwSt reduziert", "percentage": "7", "inclusive": False, "taxable_amount": 4786,
                  "tax_amount": 335}]
    total = 15000 - 1600 + 335
    snap = snapshot(lines=lines, tax_breakdown=breakdown, subtotal=15000, total_discount=1600,
                    discounts=[{"amount": 600, "percentage": None, "discount_amount": 600}],
                    tax=1710, total=total, amount_paid=2000, amount_due=total - 2000, locale="de_DE")
    doc = from_snapshot(snap)
    xml = facturx.build_xml(doc)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931") is True
    assert xml_value(xml, f"{SUMMATION}/ram:RoundingAmount") == []  # everything reconciles
    assert xml_value(xml, f"{SUMMATION}/ram:GrandTotalAmount") == [f"{Decimal(total) / 100:.2f}"]
    assert xml_value(xml, f"{SUMMATION}/ram:TotalPrepaidAmount") == ["20.00"]
    assert xml_value(xml, f"{SUMMATION}/ram:DuePayableAmount") == [f"{Decimal(total - 2000) / 100:.2f}"]
    assert xml_value(xml, f"{HEADER_TAX}/ram:BasisAmount") == ["72.39", "47.86"]  # 86.14 − 13.75; 50 − 2.14
    assert xml_value(xml, f"{HEADER_TAX}/ram:CalculatedAmount") == ["13.75", "3.35"]

    text = squeezed(pdf_text(renderer.render_invoice(doc)))
    assert "Zeitraum: 1. Januar 2026 – 31. Januar 2026" in text
    assert "Rabatt: -10,00 €" in text                # the line's own discount, under the line
    assert "Rabatt -10,00 €" in text and "Rabatt -6,00 €" in text  # own discounts, then the invoice's
    due = f"{Decimal(total - 2000) / 100:.2f}".replace(".", ",")
    assert "Bereits bezahlt -20,00 €" in text and f"ZU ZAHLEN {due} €" in text
    assert "MwSt 19% inkl." in text


def test_formats_use_each_locales_symbols_and_separators():
    assert Formatter("en_US", "eur").money(123456) == "€1,234.56"
    assert Formatter("de_DE", "eur").money(123456) == "1.234,56\u00a0€"
    assert Formatter("fr_FR", "eur").money(123456) == "1\u202f234,56\u00a0€"
    assert Formatter("de", "jpy").money(50000) == "50.000\u00a0¥" and Formatter("en", "kwd").money(1250) == "KWD1.250"
    assert Formatter("fr", "eur").percent(Decimal("8.25")) == "8,25\u00a0%"
    assert Formatter("de-DE", "usd").label("invoice") == "Rechnung"
    assert Formatter("nl_NL", "eur").label("invoice") == "Invoice"  # no Dutch labels: English words...
    assert Formatter("nl_NL", "eur").money(123456) == "€\u00a01.234,56"  # ...Dutch numbers
    assert Formatter("xx", "eur").money(100) == "€1.00"
    assert Formatter("fr", "eur").terms("net_30") == "Paiement à 30 jours"
    assert Formatter("de", "eur").terms("due_on_receipt") == "Sofort fällig"


def test_allocate_splits_exactly_in_proportion():
    assert facturx.allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert facturx.allocate(10, [0, 0]) == [10, 0]
    assert facturx.allocate(0, [5, 7]) == [0, 0]
    assert facturx.allocate(7, []) == []
    for total in range(0, 50):
        parts = facturx.allocate(total, [3, 5, 11])
        assert sum(parts) == total and all(p >= 0 for p in parts)


def test_bench_reports_a_median():
    assert 0 < bench.median_render_ms(n=3) < 5000


def _word_boxes(pdf: bytes) -> tuple[float, list[tuple[str, float]]]:
    """(page width, [(word, right edge)]) read back with pdftotext -bbox."""
    import re
    import subprocess
    html = subprocess.run(["pdftotext", "-bbox", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode("utf-8")
    width = float(re.search(r'<page width="([\d.]+)"', html).group(1))
    words = [(w, float(x)) for x, w in re.findall(r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)" '
                                                  r'yMax="[\d.]+">([^<]*)</word>', html)]
    return width, words


@pytest.mark.parametrize("description", ["W" * 1000, ("Implementation work " * 50)[:1000]])
def test_the_longest_description_wraps_and_the_amounts_stay_on_the_page(description):
    doc = from_snapshot(snapshot(lines=[{"id": "il_1", "description": description, "quantity": "1",
                                         "unit_amount": 123456, "amount": 123456, "tax_rates": []}],
                                 tax_breakdown=[], subtotal=123456, tax=0, total=123456, amount_due=123456))
    pdf = renderer.render_invoice(doc)
    width, words = _word_boxes(pdf)
    assert words and all(right <= width for _, right in words), "nothing is drawn past the page's edge"
    assert "€1,234.56" in [w for w, _ in words]


def test_a_paid_invoice_does_not_say_how_to_pay():
    text = squeezed(pdf_text(renderer.render_invoice(from_snapshot(snapshot(status="paid", amount_paid=144698,
                                                                             amount_due=0)))))
    assert "PAID" in text.upper() and "How to pay".upper() not in text.upper() and "Pay online" not in text


def test_addresses_and_bank_details_print_as_the_contract_gives_them():
    """Street lines: the first, then the others on one line; the region after the city (US style in the
    US); texts trimmed and the country upper-cased; the bank's account_name as the account holder."""
    doc = from_snapshot(snapshot(currency="usd", issuer={
        "company_name": "Acme Inc", "tax_id": "US12-3456789",
        "address": {"lines": [" 500 Market St ", "Suite 200", " ", "Floor 3"], "city": "San Francisco",
                    "postal_code": "94105", "region": "CA", "country": "us"},
        "bank_details": {"account_name": " Acme Inc ", "account_number": "000123456789",
                         "routing_number": "110000000", "bank_name": "First Bank"}},
        customer={"id": "cus_1", "name": "Käufer AG", "email": "ap@kaeufer.example", "tax_id": "FR40303265045",
                  "billing_address": {"lines": ["Rue de Rivoli 5"], "city": "Paris", "postal_code": "75001",
                                      "region": "Île-de-France", "country": "FR"}}))
    assert doc.seller.address.lines == ["500 Market St", "Suite 200, Floor 3"]
    view = build_view(doc)
    assert view.seller.lines == ["500 Market St", "Suite 200, Floor 3", "San Francisco, CA 94105", "United States"]
    assert view.buyer.lines == ["Rue de Rivoli 5", "75001 Paris, Île-de-France", "France"]
    assert view.bank_rows == [("Account holder", "Acme Inc"), ("Bank", "First Bank"),
                              ("Account number", "000123456789"), ("Routing number", "110000000"),
                              ("Reference to quote", "INV-2026-00042")]
    xml = facturx.build_xml(doc)
    address = f"{RSM}/ram:ApplicableHeaderTradeAgreement/ram:SellerTradeParty/ram:PostalTradeAddress/ram:"
    account = (f"{RSM}/ram:ApplicableHeaderTradeSettlement/ram:SpecifiedTradeSettlementPaymentMeans"
               "/ram:PayeePartyCreditorFinancialAccount/ram:")
    expected = {f"{address}LineOne": "500 Market St", f"{address}LineTwo": "Suite 200, Floor 3",
                f"{address}CountrySubDivisionName": "CA", f"{account}AccountName": "Acme Inc"}
    assert {path: xml_value(xml, path) for path in expected} == {path: [v] for path, v in expected.items()}


def _many_lines(count: int) -> dict:
    lines = [{"id": f"il_{i}", "description": f"Support block {i}" + (" with a description long enough to wrap "
                                                                       "over two lines of its column" if i % 5 == 0
                                                                       else ""),
              "quantity": "1", "unit_amount": 1000 + i, "amount": 1000 + i,
              "tax_rates": [{"display_name": "VAT", "percentage": "19"}]} for i in range(1, count + 1)]
    subtotal = sum(line["amount"] for line in lines)
    tax = round(subtotal * 0.19)
    return snapshot(lines=lines, subtotal=subtotal, tax=tax, total=subtotal + tax, amount_due=subtotal + tax,
                    tax_breakdown=[{"display_name": "VAT", "percentage": "19", "inclusive": False,
                                    "taxable_amount": subtotal, "tax_amount": tax}])


def test_many_lines_flow_onto_pages_with_the_table_header_on_each_and_every_figure_printed():
    pdf = renderer.render_invoice(from_snapshot(_many_lines(80)))
    pages = [squeezed(pdf_text_page) for pdf_text_page in pdf_text(pdf).split("\f") if pdf_text_page.strip()]
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert "DESCRIPTION QTY UNIT PRICE TAX AMOUNT" in page, number
        assert f"Page {number} of {len(pages)}" in page
    text = "\n".join(pages)
    for i in range(1, 81):
        assert f"Support block {i} " in text and f"€{(1000 + i) / 100:,.2f}" in text, i
    assert "Total €" in pages[-1] and "AMOUNT DUE" in pages[-1] and "Thank you for your business." in pages[-1]


def _logo_with_transparency() -> str:
    from PIL import Image
    image = Image.new("RGBA", (40, 20), (0, 0, 0, 0))
    image.paste((200, 30, 60, 255), (0, 0, 20, 20))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@pytest.mark.parametrize("case", ["issued", "draft", "logo", "many lines", "paid"])
def test_every_pdf_keeps_the_structural_rules_of_pdf_a_3b(case):
    snap = {"issued": lambda: snapshot(),
            "draft": lambda: snapshot(status="draft", number=None, issued_at=None, due_date=None),
            "logo": lambda: snapshot(issuer={"company_name": "Logo Co", "logo_url": _logo_with_transparency()}),
            "many lines": lambda: _many_lines(60),
            "paid": lambda: snapshot(status="paid", amount_paid=144698, amount_due=0, locale="fr_FR")}[case]()
    pdf = renderer.render_invoice(from_snapshot(snap))
    assert pdfa_problems(pdf) == []
    assert ("factur-x.xml" in attachments(pdf)) == (case != "draft" and case != "logo")  # Logo Co has no address
