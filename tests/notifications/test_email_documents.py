"""The emails and the PDF show the same invoice, end to end: the README's EUR invoice is created and
approved in the real invoicing service, its invoice.issued reaches notifications over the broker, and
the email read back from the SMTP catcher carries the PDF (fetched from invoicing when the email was
sent), in French, under the organization's sender name and reply-to. Then a payment: invoicing marks
the invoice paid, and the receipt carries the paid invoice. A second payment on the paid invoice is
rejected by invoicing: no receipt, and the refund gets its own short email.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone

import httpx

from duely_contracts import Envelope
from duely_contracts.events import PaymentRefunded
from duely_contracts.models import CustomerRef, InvoiceSummary

from tests.invoicing.documents_helpers import pdf_text, plain, squeezed
from tests.invoicing.helpers import payment_envelope

SETTINGS = {
    "company_name": "Acme GmbH", "tax_id": "DE123456789", "accent_color": "#0F766E",
    "address": {"lines": ["Hauptstr. 1"], "city": "Berlin", "postal_code": "10115", "country": "DE"},
    "currency": "eur", "locale": "de_DE", "invoice_prefix": "ACME", "number_format": "{PREFIX}-{YY}{MM}-{NNN}",
    "number_reset": "yearly", "accepted_payment_methods": ["card", "wire_transfer"],
    "bank_details": {"account_name": "Acme GmbH", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX"},
    "email_from_name": "Acme GmbH Buchhaltung", "email_reply_to": "billing@acme.example",
}
# The README's numbers (subtotal − discounts + tax = total), in French as the customer reads them.
EXPECTED = {"Sous-total": "1 200,00 €", "Remise": "-5,00 €", "Remise (10 %)": "-119,50 €",
            "MwSt 19 %": "192,38 €", "MwSt ermäßigt 7 %": "4,41 €", "Total": "1 272,29 €",
            "Montant dû": "1 272,29 €"}


def _plain(message) -> str:
    return plain(message.get_body(preferencelist=("plain",)).get_content())


def _html(message) -> str:
    return plain(message.get_body(preferencelist=("html",)).get_content())


def _pdfs(message) -> list[tuple[str, bytes]]:
    return [(part.get_filename(), part.get_content()) for part in message.iter_attachments()
            if part.get_content_type() == "application/pdf"]


def totals_of_email(text: str) -> dict[str, str]:
    """'Label : value' rows of the plain text's totals block (from Sous-total to Montant dû)."""
    block = text[text.index("Sous-total :"):]
    rows = {}
    for line in block.splitlines():
        label, _, value = line.partition(" : ")
        rows[label.strip()] = value.strip()
        if label.strip() == "Montant dû":
            break
    return rows


async def readme_eur_invoice(api: httpx.AsyncClient, email: str) -> dict:
    assert (await api.patch("/v1/settings/invoicing", json=SETTINGS)).status_code == 200
    customer = (await api.post("/v1/customers", json={
        "name": "Client SARL", "email": email, "payment_terms": "net_15", "locale": "fr_FR",
        "billing_address": {"lines": ["1 rue de la Paix"], "city": "Paris", "postal_code": "75002", "country": "FR"},
    })).json()
    subscription = (await api.post("/v1/subscriptions", json={
        "customer_id": customer["id"], "settings": {"payment_terms": "net_7"}})).json()
    rate = (await api.post("/v1/tax_rates", json={"display_name": "MwSt", "percentage": "19",
                                                  "country": "DE"})).json()
    draft = await api.post("/v1/invoices", json={
        "customer_id": customer["id"], "subscription_id": subscription["id"], "discounts": [{"percentage": "10"}],
        "lines": [
            {"description": "Consulting", "quantity": "12.5", "unit_amount": 9000, "tax_rate_ids": [rate["id"]],
             "period": {"start": "2026-11-01", "end": "2026-11-30"}},
            {"description": "Handbook", "quantity": 3, "unit_amount": 2500, "discounts": [{"amount": 500}],
             "tax_rates": [{"display_name": "MwSt ermäßigt", "percentage": "7"}]}]})
    assert draft.status_code == 201, draft.text
    approved = await api.post(f"/v1/invoices/{draft.json()['id']}/approve")
    assert approved.status_code == 200, approved.text
    invoice = approved.json()
    assert (invoice["subtotal"], invoice["total"], invoice["attach_pdf"]) == (120000, 127229, True)
    return invoice


def refund_envelope(invoice: dict, organization_id: str, payment_id: str) -> Envelope:
    event = PaymentRefunded(
        refund_id=f"re_{uuid.uuid4().hex[:12]}", payment_id=payment_id, invoice_id=invoice["id"],
        amount=invoice["total"], currency="eur", reason="invoice_already_paid",
        refunded_at=datetime.now(timezone.utc), invoice=InvoiceSummary(
            id=invoice["id"], number=invoice["number"], organization_name="Acme GmbH", currency="eur",
            total=invoice["total"], amount_due=0, customer=CustomerRef(
                id=invoice["customer"]["id"], name=invoice["customer"]["name"], email=invoice["customer"]["email"])))
    return Envelope(type="payment.refunded", organization_id=organization_id, aggregate_id=payment_id,
                    aggregate_version=2, correlation_id=str(uuid.uuid4()), data=event.model_dump(mode="json"))


async def test_the_readme_eur_invoice_email_carries_its_pdf_and_reads_the_same_numbers(
        notifications, invoicing, publish, wait_for):
    organization_id, api_key = await invoicing.create_org("Demo Company")
    email = f"compta+{uuid.uuid4().hex[:8]}@client.example"
    async with httpx.AsyncClient(base_url=invoicing.url, headers={"Authorization": f"Bearer {api_key}"},
                                 timeout=30) as api:
        invoice = await readme_eur_invoice(api, email)
    number = invoice["number"]

    async def mail(subject: str):
        found = notifications.catcher.messages(subject=subject, to=email)
        return found[0] if found else None
    message = await wait_for(lambda: mail(f"Votre facture {number} de Acme GmbH"), timeout=60)

    # The organization's name and reply-to; the platform's address (its domain signs the mail).
    assert message["From"] == "Acme GmbH Buchhaltung <billing@duely.local>"
    assert message["Reply-To"] == "billing@acme.example"
    assert message["Return-Path"] == "<billing@duely.local>"  # the envelope sender (MAIL FROM)
    text, html = _plain(message), _html(message)
    assert '<html lang="fr-FR">' in html and "Bonjour Client SARL," in text
    assert "#0F766E" in html and "Demo Company" not in text and "AutoPay" not in text

    # The PDF, attached, is this invoice.
    [(filename, pdf)] = _pdfs(message)
    assert filename == f"{number}.pdf" and pdf.startswith(b"%PDF-")
    pdf_words = squeezed(pdf_text(pdf))
    assert number in pdf_words and "1 272,29 €" in pdf_words
    assert "La facture est jointe au format PDF." in text

    # One truth: every totals row of the email reads as on the PDF, and as the README says.
    for part in (text, squeezed(html)):
        for value in EXPECTED.values():
            assert value in part, value
    email_totals = totals_of_email(text)
    assert email_totals == EXPECTED, email_totals
    for label, value in email_totals.items():
        pdf_label = label.upper() if label == "Montant dû" else label  # the PDF's amount-due box is in capitals
        assert squeezed(f"{pdf_label} {value}") in pdf_words, (label, value)
    assert "Période : 1 novembre 2026 – 30 novembre 2026" in text and "1 novembre 2026 – 30 novembre 2026" in pdf_words
    assert "Par virement, en indiquant la référence " + number in text
    assert re.search(r"IBAN : DE89370400440532013000", text)

    async with notifications.client(api_key) as client:
        async def logged():
            rows = (await client.get("/v1/messages", params={"invoice_id": invoice["id"]})).json()["data"]
            return rows[0] if rows and rows[0]["status"] == "sent" else None
        row = await wait_for(logged, timeout=30)
    assert row["attachments"] == [f"{number}.pdf"] and row["subject"] == f"Votre facture {number} de Acme GmbH"

    # Paid: invoicing counts the payment (invoice.payment_succeeded, then invoice.paid); the receipt carries
    # the payment's receipt PDF. (Needs invoicing's invoice.payment_succeeded: issue #9's invoicing part.)
    await publish(payment_envelope(invoice, organization_id, f"pay_{uuid.uuid4().hex[:12]}", invoice["total"]))
    receipt = await wait_for(lambda: mail(f"Reçu pour la facture {number} de Acme GmbH"), timeout=60)
    assert receipt["From"] == "Acme GmbH Buchhaltung <billing@duely.local>"
    receipt_text = _plain(receipt)
    assert "Montant payé : 1 272,29 €" in receipt_text and "Montant dû : 0,00 €" in receipt_text
    assert "Moyen de paiement : Carte Visa" in receipt_text
    assert "La facture est payée intégralement." in receipt_text
    [(receipt_name, paid_pdf)] = _pdfs(receipt)
    assert receipt_name.startswith(f"receipt-{number}-")
    paid_words = squeezed(pdf_text(paid_pdf))
    assert "Reçu de paiement" in paid_words and f"Pour la facture {number}" in paid_words
    assert "Reste à payer 0,00 €" in paid_words and "La facture est payée intégralement." in paid_words
    assert "Règlement" not in paid_words  # a receipt says nothing of how to pay

    # A second payment lands on the paid invoice: invoicing rejects it, so no second receipt; payments
    # refunds it and the customer is told so.
    second = f"pay_{uuid.uuid4().hex[:12]}"
    await publish(payment_envelope(invoice, organization_id, second, invoice["total"]))
    await publish(refund_envelope(invoice, organization_id, second))
    refund = await wait_for(lambda: mail(f"Remboursement pour la facture {number}"), timeout=60)
    assert "Nous avons remboursé 1 272,29 €" in _plain(refund) and not _pdfs(refund)
    assert len(notifications.catcher.messages(subject=f"Reçu pour la facture {number}", to=email)) == 1
