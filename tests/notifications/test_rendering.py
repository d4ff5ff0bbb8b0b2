"""Every email renders its subject, plain text and HTML from the invoice's presentation (the PDF's
InvoiceView), in the customer's language and the organization's brand. No database, no network."""

from __future__ import annotations

from datetime import datetime, timezone

from datetime import date

import pytest

from duely_presentation.content import from_snapshot
from duely_presentation.labels import email as email_labels
from duely_presentation.receipt import PaymentFacts, build_receipt
from duely_presentation.view import build_view
from duely_notifications.domain import email_context as ec
from duely_notifications.domain.payment_words import describe_method, failure_sentence, method_details
from duely_notifications.email_kinds import EMAIL_KINDS
from duely_notifications.rendering import EmailRenderer
from tests.notifications.notification_events import snapshot
from tests.notifications.readme_invoice import readme_eur_invoice

renderer = EmailRenderer()
NBSP, NNBSP = "\u00a0", "\u202f"


def view_of(invoice):
    doc = from_snapshot(invoice)
    return doc, build_view(doc)


def issued(invoice, note=None):
    return renderer.render("invoice_issued", ec.invoice_issued(view_of(invoice)[1], note))


def plain(text: str) -> str:
    return text.replace(NBSP, " ").replace(NNBSP, " ")


def test_the_readme_eur_invoice_in_french_shows_discounts_periods_tax_lines_and_how_to_pay():
    email = issued(readme_eur_invoice(locale="fr_FR"), "La facture est jointe au format PDF.")
    assert email.subject == "Votre facture ACME-2611-001 de Acme GmbH"
    assert '<html lang="fr-FR">' in email.html
    for part in (plain(email.text), plain(email.html)):
        for expected in ("Sous-total", "1 200,00 €", "Remise", "-5,00 €", "Remise (10 %)", "-119,50 €",
                         "MwSt 19 %", "192,38 €", "MwSt ermäßigt 7 %", "4,41 €", "Total", "1 272,29 €",
                         "Montant dû", "Période", "1 novembre 2026 – 30 novembre 2026", "12,5 × 90,00 €",
                         "Base imposable", "1 012,50 €", "Échéance le 8 décembre 2026",
                         "Par virement, en indiquant la référence ACME-2611-001", "DE89370400440532013000",
                         "COBADEFFXXX", "Payer en ligne (Carte)", "Acme GmbH", "DE123456789", "Client SARL",
                         "75002 Paris", "Acme GmbH · Amtsgericht Berlin HRB 12345", "La facture est jointe"):
            assert expected in part, expected
        assert "AutoPay" not in part and "€1,272.29" not in part and "Demo Company" not in part
    assert 'href="http://127.0.0.1:8000/i/org_readme.in_readme_eur.sig"' in email.html
    assert "#0F766E" in email.html and "#4f46e5" not in email.html  # the organization's accent, not ours


def test_german_labels_and_formats():
    email = issued(readme_eur_invoice(locale="de_DE"))
    assert email.subject == "Ihre Rechnung ACME-2611-001 von Acme GmbH"
    assert '<html lang="de-DE">' in email.html
    text = plain(email.text)
    for expected in ("Guten Tag Client SARL,", "Zwischensumme: 1.200,00 €", "Rabatt (10 %): -119,50 €",
                     "Gesamtbetrag: 1.272,29 €", "Zu zahlen: 1.272,29 €", "Fällig am 8. Dezember 2026",
                     "Per Überweisung mit dem Verwendungszweck ACME-2611-001", "Zeitraum"):
        assert expected in text, expected


def test_a_locale_without_labels_keeps_english_words_and_its_own_formats():
    email = issued(readme_eur_invoice(locale="nl_NL"))
    assert email.subject == "Your invoice ACME-2611-001 from Acme GmbH is ready"
    assert "€ 1.272,29" in plain(email.text) and '<html lang="nl-NL">' in email.html


def test_how_to_pay_follows_the_accepted_methods():
    def ways(methods, **issuer):
        invoice = readme_eur_invoice(issuer={"company_name": "Acme GmbH", "accepted_payment_methods": methods,
                                             "address": {"lines": ["Hauptstr. 1"], "city": "Berlin",
                                                         "postal_code": "10115", "country": "DE"}, **issuer})
        return [way["kind"] for way in ec.how_to_pay(view_of(invoice)[1])], issued(invoice)
    bank = {"bank_details": {"account_name": "Acme GmbH", "iban": "DE89370400440532013000"}}
    assert ways(["card", "sepa_debit"])[0] == ["online"]
    assert "Payer en ligne (Carte ou Prélèvement SEPA)" in plain(ways(["card", "sepa_debit"])[1].text)
    assert ways(["wire_transfer"], **bank)[0] == ["transfer"]
    kinds, email = ways(["check"])
    assert kinds == ["check"] and "Payer maintenant" not in email.html  # no pay button without an online method
    assert ("Libellez vos chèques à l’ordre de Acme GmbH et envoyez-les à l’adresse ci-dessous, en inscrivant la "
            "référence ACME-2611-001 au dos.") in plain(email.text) and "10115 Berlin" in email.text
    assert ways(["card", "wire_transfer", "check"], **bank)[0] == ["online", "transfer", "check"]
    # Nothing to pay: nothing about paying.
    paid = readme_eur_invoice(status="paid")
    assert ec.how_to_pay(view_of(paid)[1]) == [] and "Règlement" not in issued(paid).text


def test_html_is_autoescaped_and_text_is_not():
    invoice = snapshot("org_1")
    invoice.customer.name = "<b>Bobby</b> & Co"
    email = issued(invoice)
    assert "&lt;b&gt;Bobby&lt;/b&gt; &amp; Co" in email.html and "<b>Bobby</b>" not in email.html
    assert "<b>Bobby</b> & Co" in email.text


def test_the_logo_is_an_https_image_only():
    def logo(url):
        return issued(readme_eur_invoice(issuer={"company_name": "Logo Co", "logo_url": url})).html
    assert '<img src="https://cdn.acme.example/logo.png" alt="Logo Co"' in logo("https://cdn.acme.example/logo.png")
    for refused in ("data:image/png;base64,iVBORw0KGgo=", "http://cdn.acme.example/logo.png",
                    "javascript:alert(1)"):
        assert "<img" not in logo(refused)


@pytest.mark.parametrize("currency, locale, amount, expected", [
    ("jpy", "en_US", 5000, "¥5,000"), ("kwd", "en_US", 1234, "KWD1.234"), ("usd", "en_US", 162375, "$1,623.75")])
def test_amounts_use_the_currency_precision(currency, locale, amount, expected):
    invoice = snapshot("org_1")
    body = invoice.model_dump(mode="json")
    body.update(currency=currency, locale=locale, subtotal=amount, tax=0, total=amount, amount_due=amount,
                tax_breakdown=[], lines=[{**body["lines"][0], "amount": amount, "unit_amount": amount,
                                          "tax_rates": []}])
    email = issued(type(invoice).model_validate(body))
    assert expected in plain(email.text) and expected in plain(email.html)


def test_reminders_by_tone_and_days_overdue():
    doc, view = view_of(snapshot("org_1"))  # due 2026-03-31
    def remind(tone, today):
        return renderer.render("invoice_reminder", ec.reminder(doc, view, tone, today))
    gentle = remind("gentle", date(2026, 3, 20))
    assert gentle.subject == "Reminder: invoice INV-2026-00001 from Acme Cloud is due March 31, 2026"
    assert "A friendly reminder that invoice INV-2026-00001 is due on March 31, 2026." in gentle.text
    firm = remind("firm", date(2026, 4, 7))
    assert firm.subject == "Reminder: invoice INV-2026-00001 from Acme Cloud is past due"
    assert "is 7 days overdue and remains unpaid" in firm.text and "Pay now" in firm.html
    assert "1 day overdue" in remind("final", date(2026, 4, 1)).text
    final = remind("final", date(2026, 4, 10))
    assert final.subject == "Final notice: invoice INV-2026-00001 from Acme Cloud is 10 days overdue"
    assert "If you have already paid, please disregard this message." in final.text
    # A failed AutoPay invoice reaches its dunning schedule's final notice before its due date: never "0 days".
    early = remind("final", date(2026, 3, 25))
    assert early.subject == "Final notice: invoice INV-2026-00001 from Acme Cloud is still unpaid"
    assert "Please pay it by March 31, 2026" in early.text and "0 days overdue" not in early.text
    with pytest.raises(ValueError):
        ec.reminder(doc, view, "rude", date(2026, 4, 10))


def test_payment_failed_says_what_the_customer_can_act_on_never_gateway_internals():
    view = view_of(readme_eur_invoice(locale="en_US"))[1]
    email = renderer.render("payment_failed", ec.payment_failed(view, {
        "failure_code": "resource_missing", "payment_method": "pm_1Nx9ZZ2eZvKYlo2C",
        "failure_message": "The gateway refused the payment method: Not Found."}))
    assert email.subject == "Payment failed for invoice ACME-2611-001 from Acme GmbH"
    for part in (email.text, email.html):
        assert "Your payment did not go through." in part and "Saved payment method" in part
        assert "pm_1N" not in part and "gateway" not in part and "Not Found" not in part
    assert "Pay now" in email.html and "€1,272.29" in email.text
    declined = renderer.render("payment_failed", ec.payment_failed(view, {
        "failure_code": "card_declined", "payment_method": "pm_card_visa",
        "method_details": {"brand": "visa", "last4": "4242"}}))
    assert "Your card was declined." in declined.text and "Visa ending in 4242" in declined.text


def test_receipt_of_the_paid_invoice():
    invoice = readme_eur_invoice(status="paid", locale="en_US")
    view = view_of(invoice)[1]
    receipt = build_receipt(invoice, PaymentFacts("pay_1", invoice.total, "eur",
                                                  datetime(2026, 12, 2, 10, tzinfo=timezone.utc), "card", brand="visa"))
    email = renderer.render("payment_receipt", ec.receipt(view, receipt, view.labels["email_receipt_attached"]))
    assert email.subject == "Receipt for invoice ACME-2611-001 from Acme GmbH"
    text = plain(email.text)
    for expected in ("Thank you for your payment.", "Amount paid: €1,272.29", "Paid on: December 2, 2026",
                     "Payment method: Visa card", "Remaining balance: €0.00", "The invoice is paid in full.",
                     "attached as a PDF"):
        assert expected in text, expected
    assert "Pay now" not in email.html and "How to pay" not in text


def test_refund_tells_why_and_shows_no_bill():
    view = view_of(readme_eur_invoice(locale="de_DE"))[1]
    email = renderer.render("payment_refunded", ec.refund(view, {"amount": 127229, "currency": "eur",
                                                                  "reason": "invoice_already_paid"}))
    assert email.subject == "Erstattung zu Rechnung ACME-2611-001 von Acme GmbH"
    assert "Wir haben 1.272,29 € auf die von Ihnen verwendete Zahlungsart erstattet." in plain(email.text)
    assert "war bereits bezahlt" in email.text and "Jetzt bezahlen" not in email.html
    assert "Zwischensumme" not in email.text  # a refund is not a bill


def test_expiring_card_in_the_customers_language():
    email = renderer.render("payment_method_expiring", ec.expiring({
        "brand": "visa", "last4": "4242", "exp_month": 4, "exp_year": 2027, "customer_name": "Ada"}, "Acme", "fr"))
    assert email.subject == "Votre carte Visa se terminant par 4242 expire bientôt"
    assert "04/27" in email.text and '<html lang="fr">' in email.html


def test_payment_words():
    labels = build_view(from_snapshot(readme_eur_invoice(locale="en_US"))).labels
    assert describe_method(labels, "pm_card_visa") == "Visa card"
    assert describe_method(labels, "pm_card_chargeDeclined") == "Card"
    assert describe_method(labels, "sepa_debit") == "SEPA Direct Debit"
    assert describe_method(labels, "ach_debit") == "ACH bank debit"
    assert describe_method(labels, "pm_1Nabc") == "Saved payment method"
    assert describe_method(labels, None) is None
    assert describe_method(labels, "pm_1Nabc", {"brand": "mastercard", "last4": "4444"}) == "Mastercard ending in 4444"
    assert failure_sentence(labels, "expired_card") == "Your card has expired."
    assert failure_sentence(labels, "payment_method_invalid") == "Your payment did not go through."
    assert method_details({"payment_method_details": {"card": {"brand": "visa", "last4": "4242"}}}) == {
        "brand": "visa", "last4": "4242"}
    assert method_details({"card": {"brand": "amex", "last4": "0005"}})["last4"] == "0005"
    assert method_details({"payment_method": "pm_card_visa"}) is None


def test_every_language_has_every_email_label():
    english = set(email_labels.LABELS["en"])
    for language, labels in email_labels.LABELS.items():
        assert set(labels) == english, (language, english ^ set(labels))


def test_every_template_renders_with_the_layout():
    assert set(EMAIL_KINDS) == {"invoice_issued", "invoice_reminder", "payment_receipt", "payment_failed",
                              "payment_refunded", "payment_method_expiring", "webhook_endpoint_disabled",
                              "portal_link", "user_invite", "dashboard_sign_in"}
    with pytest.raises(ValueError):
        renderer.render("nope", {})
