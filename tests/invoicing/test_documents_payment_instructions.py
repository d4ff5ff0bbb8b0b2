"""Issue #9 on paper: the invoice PDF shows only the invoice's own accepted methods (bank details with the
reference to quote, a check's payee, address and reference, the online link) or, when AutoPay will charge
it, the AutoPay notice instead; the receipt PDF (duely_presentation.receipt) in English, German and French.
Both drawn with reportlab, read back with pdftotext; first pages go to var/screenshots/pdf-*.png."""

from __future__ import annotations

import subprocess
from datetime import date, datetime, timezone
from pathlib import Path

from duely_contracts.models import AutopayPlan, PaymentMethodRef
from duely_invoicing.documents import renderer
from duely_presentation.content import from_snapshot
from duely_presentation.receipt import PaymentFacts, build_receipt, render_receipt_pdf

from tests.invoicing.documents_helpers import pdf_text, plain, snapshot

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
ISSUER = {"company_name": "Muster GmbH", "address": {"lines": ["Hauptstraße 1"], "city": "Berlin",
                                                     "postal_code": "10115", "country": "DE"},
          "bank_details": {"account_name": "Muster GmbH", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX"},
          "accepted_payment_methods": ["card", "wire_transfer"]}


def words(pdf: bytes) -> str:
    return " ".join(pdf_text(pdf).split())


def picture(pdf: bytes, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"pdf-{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(path),
                    str(SCREENSHOTS / f"pdf-{name}")], check=True)


def test_only_the_invoices_own_methods_are_printed():
    # The organization takes cards and transfers; this customer's invoice takes checks and transfers.
    doc = from_snapshot(snapshot(issuer=ISSUER, accepted_payment_methods=["wire_transfer", "check"]))
    pdf = renderer.render_pdf(doc)
    picture(pdf, "invoice-wire-check")
    text = words(pdf)
    assert "Pay online" not in text and "pay.example" not in text
    assert "Transfer the amount due to the account below, quoting the reference INV-2026-00042." in text
    assert "IBAN DE89370400440532013000" in text and "Reference to quote INV-2026-00042" in text
    assert ("Make checks payable to Muster GmbH and mail them to the address below. Write the reference "
            "INV-2026-00042 on the check. Muster GmbH Hauptstraße 1 10115 Berlin Germany") in text

    card_only = words(renderer.render_pdf(from_snapshot(snapshot(issuer=ISSUER, accepted_payment_methods=["card"]))))
    assert "Pay online by Card on the invoice page: Pay online →" in card_only
    assert "DE89370400440532013000" not in card_only and "check" not in card_only.lower()


def test_autopay_replaces_the_instructions():
    sepa = PaymentMethodRef(id="pm_1", organization_id="org", customer_id="cus", type="sepa_debit", last4="3000",
                            status="active", mandate_reference="MNDT-42")
    plan = AutopayPlan(enabled=True, timing="days_before_due", days_before_due=3, charge_date=date(2026, 2, 1),
                       payment_method=sepa, source="customer", prenotified=True)
    pdf = renderer.render_pdf(from_snapshot(snapshot(issuer=ISSUER, accepted_payment_methods=["sepa_debit"],
                                                     autopay=plan, locale="de_DE")))
    picture(pdf, "invoice-autopay-de")
    text = words(pdf)
    assert "Diese Rechnung wird am 1. Februar 2026 automatisch von SEPA-Lastschrift •••• 3000 eingezogen." in text
    assert "Online bezahlen" not in text and "DE89370400440532013000" not in text


def test_the_receipt_pdf_in_three_languages():
    invoice = snapshot(issuer=ISSUER)
    partly = invoice.model_copy(update={"amount_paid": 10000, "amount_due": invoice.total - 10000})
    paid_at = datetime(2026, 1, 20, 9, tzinfo=timezone.utc)
    expected = {
        "en": ("Payment receipt", "For invoice INV-2026-00042", "Amount paid", "January 20, 2026",
               "Bank transfer, ref RF18 5390", "Remaining balance"),
        "de": ("Zahlungsbestätigung", "Zur Rechnung INV-2026-00042", "Gezahlter Betrag", "20. Januar 2026",
               "Überweisung, Verwendungszweck RF18 5390", "Offener Betrag"),
        "fr": ("Reçu de paiement", "Pour la facture INV-2026-00042", "Montant payé", "20 janvier 2026",
               "Virement bancaire, réf. RF18 5390", "Reste à payer"),
    }
    for language, phrases in expected.items():
        receipt = build_receipt(partly, PaymentFacts("pay_1", 10000, invoice.currency, paid_at, "wire_transfer",
                                                     reference="RF18 5390"), locale=language)
        pdf = render_receipt_pdf(receipt)
        picture(pdf, f"receipt-{language}")
        text = words(pdf)
        for phrase in phrases:
            assert phrase in text, (language, phrase)
        assert "Muster GmbH" in text and "Page" not in text
        assert plain(receipt.remaining) in text and plain(receipt.outcome) in text  # what remains, said twice
        info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        assert "Pages:           1" in info
        assert f"Title:           {receipt.title} · INV-2026-00042" in info and "Author:          Muster GmbH" in info
        # Not PDF/A (a receipt is no archived e-invoice), but every font is embedded, as a subset.
        fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        faces = fonts.splitlines()[2:]
        assert {face.split()[0].split("+")[1] for face in faces} == {"DejaVuSans", "DejaVuSans-Bold"}
        assert all(face.split()[-5:-2] == ["yes", "yes", "yes"] for face in faces), fonts
    card = build_receipt(invoice.model_copy(update={"amount_paid": invoice.total, "amount_due": 0}),
                         PaymentFacts("pay_2", invoice.total, invoice.currency, paid_at, "card", brand="visa",
                                      last4="4242"))
    text = words(render_receipt_pdf(card))
    assert "Visa •••• 4242" in text and "The invoice is paid in full." in text


def test_a_long_reference_without_spaces_stays_on_the_receipt_page():
    """A manual payment's reference may be 200 characters with no space: it wraps inside the page."""
    invoice = snapshot(issuer=ISSUER)
    reference = "WIRE" + "X" * 190 + "9876"
    receipt = build_receipt(invoice.model_copy(update={"amount_paid": 10000, "amount_due": invoice.total - 10000}),
                            PaymentFacts("pay_long", 10000, invoice.currency, datetime(2026, 1, 20, tzinfo=timezone.utc),
                                         "wire_transfer", reference=reference))
    pdf = render_receipt_pdf(receipt)
    picture(pdf, "receipt-long-reference")
    text = "".join(pdf_text(pdf).split())
    assert reference in text  # every character printed (wrapped lines joined back), none cut off the page
    assert "Receiptforpaymentpay_long" in text
