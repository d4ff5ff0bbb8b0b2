"""Every template renders its subject, plain text and HTML, with the product's variables."""

from __future__ import annotations

from datetime import datetime, timezone

from duely_contracts.events import InvoicePaymentFailed, PaymentMethodExpiring, PaymentSucceeded
from duely_notifications.domain import email_context as ctx
from duely_notifications.rendering import TEMPLATES, EmailRenderer
from tests.notifications.notification_events import payment_failed, payment_succeeded, snapshot

renderer = EmailRenderer()


def test_invoice_issued_has_everything_the_customer_needs():
    invoice = snapshot("org_1", number="INV-2026-00001")
    email = renderer.render("invoice_issued", ctx.snapshot_context(invoice))
    assert email.subject == "Your invoice INV-2026-00001 from Acme Cloud is ready"
    for part in (email.text, email.html):
        assert "Ada Lovelace" in part
        assert "$1,623.75" in part            # total
        assert "March 31, 2026" in part        # due date
        assert "Pro plan (March)" in part and "Extra seats" in part
        assert "$500.00" in part               # a line amount
        assert "$123.75" in part               # tax
        assert "Review invoice" in part
        assert invoice.hosted_invoice_url in part
    assert f'href="{invoice.hosted_invoice_url}"' in email.html


def test_html_is_autoescaped_and_text_is_not():
    invoice = snapshot("org_1")
    invoice.customer.name = "<b>Bobby</b> & Co"
    email = renderer.render("invoice_issued", ctx.snapshot_context(invoice))
    assert "&lt;b&gt;Bobby&lt;/b&gt; &amp; Co" in email.html and "<b>Bobby</b>" not in email.html
    assert "<b>Bobby</b> & Co" in email.text


def test_receipt_failed_reminder_and_expiring():
    invoice = snapshot("org_1")
    receipt = renderer.render("payment_receipt", ctx.receipt_context(
        PaymentSucceeded.model_validate(payment_succeeded(invoice, "pay_1").data)))
    assert receipt.subject.startswith("Receipt for invoice INV-2026-00001")
    assert "$1,623.75" in receipt.text and "March 5, 2026" in receipt.text and "Visa card" in receipt.text

    failed = renderer.render("payment_failed", ctx.payment_failed_context(
        InvoicePaymentFailed.model_validate(payment_failed(invoice).data)))
    assert failed.subject.startswith("Payment failed for invoice INV-2026-00001")
    assert "Your card was declined." in failed.text and "Pay now" in failed.html
    assert invoice.hosted_invoice_url in failed.html

    for tone, word in (("gentle", "friendly reminder"), ("firm", "arrange payment"), ("final", "final notice")):
        reminder = renderer.render("invoice_reminder", ctx.reminder_context(
            invoice, tone, datetime(2026, 4, 10, tzinfo=timezone.utc)))
        assert word in reminder.text.lower() and "$1,623.75" in reminder.text
        assert "Pay now" in reminder.html
    assert "Final notice" in renderer.render("invoice_reminder", ctx.reminder_context(
        invoice, "final", datetime(2026, 4, 10, tzinfo=timezone.utc))).subject

    expiring = renderer.render("payment_method_expiring", ctx.expiring_context(PaymentMethodExpiring(
        payment_method_id="pm_1", customer=invoice.customer, brand="visa", last4="4242", exp_month=4,
        exp_year=2027), "Acme Cloud"))
    assert expiring.subject == "Your Visa card ending in 4242 expires soon"
    assert "04/27" in expiring.text


def test_every_template_has_three_parts():
    for name in TEMPLATES:
        for suffix in (".subject.txt", ".txt", ".html"):
            renderer.env.get_template(name + suffix)
