"""Issue #9's emails end to end (real broker, Postgres, SMTP catcher): a receipt with its receipt PDF for
every counted payment, the AutoPay invoice email (and the SEPA pre-notification), the expiring-card email.
Every event is published twice: the inbox and the idempotency keys must turn the copies into no-ops."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from datetime import date, datetime, timezone

from duely_contracts import Envelope
from duely_contracts.events import PaymentMethodExpiring
from duely_contracts.models import AutopayPlan, CardRef, CustomerRef, PaymentMethodRef
from tests.notifications.notification_events import (
    invoice_issued, invoice_paid, payment_applied, payment_succeeded, snapshot, with_balance,
)


def _plain(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _html(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def _pdf_text(message, tmp_path) -> tuple[str, str]:
    [part] = list(message.iter_attachments())
    assert part.get_content_type() == "application/pdf"
    path = tmp_path / part.get_filename()
    path.write_bytes(part.get_content())
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout
    pages = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return " ".join(text.split()), pages


async def test_every_counted_payment_gets_one_receipt_with_its_pdf(notifications, invoicing, publish, wait_for,
                                                                   tmp_path):
    org_id, _ = await invoicing.create_org("Acme Cloud")
    number = f"INV-2026-{uuid.uuid4().hex[:5].upper()}"
    invoice = snapshot(org_id, number=number)  # total $1,623.75
    wire_id, card_id = f"pay_{uuid.uuid4().hex[:10]}", f"pay_{uuid.uuid4().hex[:10]}"
    partly = with_balance(invoice, 50000, version=3)
    paid = with_balance(invoice, invoice.total, version=4)
    catcher = notifications.catcher

    await publish(invoice_issued(invoice))
    # A wire transfer recorded by hand (partial), then the card pays the rest.
    wire = payment_succeeded(partly, wire_id, amount=50000, method_type="wire_transfer", manual=True,
                             reference="WIRE-778", payment_method="wire_transfer")
    card = payment_succeeded(paid, card_id, amount=112375, card=CardRef(brand="visa", last4="4242"))
    for envelope in (wire, payment_applied(partly, wire_id, 50000, method_type="wire_transfer"),
                     card, payment_applied(paid, card_id, 112375, paid_at=datetime(2026, 3, 9, 8, tzinfo=timezone.utc)),
                     invoice_paid(paid, card_id)):
        await publish(envelope)
        await publish(envelope)

    async def receipts(count: int):
        found = catcher.messages(subject=f"Receipt for invoice {number}")
        return found if len(found) >= count else None
    found = await wait_for(lambda: receipts(2), timeout=30)
    await asyncio.sleep(1.0)  # a third (from invoice.paid, or a replay) would show up now
    found = catcher.messages(subject=f"Receipt for invoice {number}")
    assert len(found) == 2
    by_payment = {m.get_all("X-Duely-Template")[0] + str(i): m for i, m in enumerate(found)}
    wire_mail = next(m for m in found if "WIRE-778" in _plain(m))
    card_mail = next(m for m in found if m is not wire_mail)
    assert by_payment

    text = " ".join(_plain(wire_mail).split())
    for expected in ("Amount paid: $500.00", "Paid on: March 5, 2026", "Payment method: Bank transfer, ref WIRE-778",
                     f"Invoice number: {number}", "Remaining balance: $1,123.75",
                     f"$1,123.75 remains to be paid on invoice {number}."):
        assert expected in text, expected
    assert "paid in full" not in text
    pdf, info = _pdf_text(wire_mail, tmp_path)
    assert "Pages: 1" in " ".join(info.split())
    for expected in ("Payment receipt", f"For invoice {number}", "Acme Cloud", "Ada Lovelace", "$500.00",
                     "March 5, 2026", "Bank transfer, ref WIRE-778", "Invoice total $1,623.75",
                     "Paid to date $500.00", "Remaining balance $1,123.75", wire_id):
        assert expected in pdf, expected
    assert [p.get_filename() for p in wire_mail.iter_attachments()] == [f"receipt-{number}-{wire_id}.pdf"]

    text = " ".join(_plain(card_mail).split())
    for expected in ("Amount paid: $1,123.75", "Paid on: March 9, 2026", "Payment method: Visa •••• 4242",
                     "Remaining balance: $0.00", "The invoice is paid in full."):
        assert expected in text, expected
    pdf, _ = _pdf_text(card_mail, tmp_path)
    assert "Visa •••• 4242" in pdf and "Paid to date $1,623.75" in pdf and "The invoice is paid in full." in pdf
    assert "pm_" not in _plain(card_mail) + pdf


def _autopay(method: PaymentMethodRef | None, charge_date: date | None = date(2026, 3, 31)) -> AutopayPlan:
    return AutopayPlan(enabled=True, timing="on_due_date", charge_date=charge_date, payment_method=method,
                       source="customer", prenotified=method is not None and method.type == "sepa_debit")


async def test_the_autopay_invoice_email_says_when_and_to_what_instead_of_asking_to_pay(notifications, invoicing,
                                                                                     publish, wait_for):
    org_id, _ = await invoicing.create_org("Acme Cloud")
    visa = PaymentMethodRef(id="pm_x", organization_id=org_id, customer_id="cus_1", type="card", brand="visa",
                            last4="4242", exp_month=12, exp_year=2030, status="active", is_default=True)
    card_number, none_number = (f"INV-AP-{uuid.uuid4().hex[:5].upper()}" for _ in range(2))
    with_card = snapshot(org_id, number=card_number).model_copy(update={"autopay": _autopay(visa)})
    no_method = snapshot(org_id, number=none_number).model_copy(update={"autopay": _autopay(None)})
    for invoice in (with_card, no_method):
        await publish(invoice_issued(invoice))
        await publish(invoice_issued(invoice))

    async def mail(number: str):
        found = notifications.catcher.messages(subject=number)
        return found[0] if found else None
    card_mail = await wait_for(lambda: mail(card_number), timeout=30)
    for body in (" ".join(_plain(card_mail).split()), _html(card_mail)):
        assert "This invoice will be charged automatically on March 31, 2026 to Visa •••• 4242." in body
        assert "You don’t need to do anything." in body
        assert "Pay now" not in body and "How to pay" not in body and "Pay online" not in body
    assert "Review invoice" in _html(card_mail)  # the invoice page is still linked, to look at it

    none_mail = await wait_for(lambda: mail(none_number), timeout=30)
    text = " ".join(_plain(none_mail).split())
    assert "AutoPay is on for this invoice: it will be charged automatically on March 31, 2026 to your default " \
           "payment method. If none is on file by then, we will ask you to pay it." in text
    assert "Pay now" not in _html(none_mail)
    await asyncio.sleep(0.5)
    assert len(notifications.catcher.messages(subject=card_number)) == 1


async def test_a_sepa_autopay_invoice_email_is_the_pre_notification(notifications, invoicing, publish, wait_for):
    org_id, _ = await invoicing.create_org("Acme GmbH")
    sepa = PaymentMethodRef(id="pm_s", organization_id=org_id, customer_id="cus_1", type="sepa_debit",
                            last4="3000", status="active", mandate_reference="MNDT-2026-0042")
    number = f"RE-{uuid.uuid4().hex[:5].upper()}"
    invoice = snapshot(org_id, number=number).model_copy(update={
        "autopay": _autopay(sepa, date(2026, 3, 20)), "locale": "de_DE", "currency": "eur",
        "issuer": {"company_name": "Acme GmbH", "accepted_payment_methods": ["sepa_debit"]}})
    await publish(invoice_issued(invoice))

    async def mail():
        found = notifications.catcher.messages(subject=number)
        return found[0] if found else None
    message = await wait_for(mail, timeout=30)
    text = " ".join(_plain(message).split())
    for expected in ("Diese Rechnung wird am 20. März 2026 automatisch von SEPA-Lastschrift •••• 3000 eingezogen.",
                     "Diese E-Mail ist die Vorabankündigung (Pre-Notification) der SEPA-Lastschrift",
                     "Betrag: 1.623,75 €", "Einzugsdatum: 20. März 2026", "Konto: IBAN •••• 3000",
                     "Mandatsreferenz: MNDT-2026-0042", "Zahlungsempfänger: Acme GmbH"):
        assert expected in text, expected
    assert "Jetzt bezahlen" not in _html(message)


async def test_an_expiring_card_email_links_to_the_update_page_once_per_expiry(notifications, invoicing, publish,
                                                                                wait_for):
    org_id, api_key = await invoicing.create_org("Acme Cloud")
    email = f"ada+{uuid.uuid4().hex[:6]}@example.test"
    customer = CustomerRef(id="cus_exp", name="Ada Lovelace", email=email)
    update_url = f"http://127.0.0.1:8000/portal/payment_methods/update?customer=cus_exp&t={uuid.uuid4().hex[:8]}"

    def expiring(pm_id: str, month: int, year: int) -> Envelope:
        event = PaymentMethodExpiring(payment_method_id=pm_id, customer=customer, brand="visa", last4="4242",
                                      exp_month=month, exp_year=year, organization_name="Acme Cloud",
                                      update_url=update_url)
        return Envelope(type="payment_method.expiring", organization_id=org_id, aggregate_id=pm_id,
                        aggregate_version=1, correlation_id=str(uuid.uuid4()), data=event.model_dump(mode="json"))

    pm_id = f"pm_{uuid.uuid4().hex[:10]}"
    await publish(expiring(pm_id, 12, 2026))
    await publish(expiring(pm_id, 12, 2026))  # the same expiry told again (a new event id): no second email

    async def mails():
        return [m for m in notifications.catcher.messages() if m["To"] == email] or None
    [message] = await wait_for(mails, timeout=30)
    assert message["Subject"] == "Your Visa card ending in 4242 expires soon"
    text = " ".join(_plain(message).split())
    for expected in ("Card: Visa •••• 4242", "Expires: 12/26", f"Update payment method: {update_url}",
                     "Acme Cloud uses for your automatic payments expires at the end of 12/26"):
        assert expected in text, expected
    assert f'href="{update_url.replace("&", "&amp;")}"' in _html(message)
    await asyncio.sleep(1.0)
    assert len(await mails()) == 1
