"""The receipt of one payment: a one-page PDF (drawn with reportlab, pdf/receipt.py) built from the invoice
snapshot as of that payment and the payment's facts, in the invoice's language.

    receipt = build_receipt(snapshot, PaymentFacts(...))   # pure: every string localized
    pdf = render_receipt_pdf(receipt)                      # CPU work (a few ms): run it off the event loop

It says what was paid (amount, date, method), for which invoice, what was paid to date and what
remains (or that the invoice is paid in full). The same `ReceiptView` feeds the receipt email's rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from duely_contracts.models import InvoiceSnapshot
from duely_presentation.content import from_snapshot
from duely_presentation.i18n import Formatter
from duely_presentation.methods import describe
from duely_presentation.view import PartyView, party_view


@dataclass(frozen=True)
class PaymentFacts:
    payment_id: str
    amount: int
    currency: str
    paid_at: datetime | date
    method_type: str | None = "card"
    brand: str | None = None
    last4: str | None = None
    reference: str | None = None
    credit_added: int = 0


@dataclass
class ReceiptView:
    lang: str
    labels: dict[str, str]
    accent: str
    title: str
    subtitle: str
    number: str  # the invoice number
    seller: PartyView
    buyer: PartyView
    rows: list[tuple[str, str]]       # the payment: amount, date, method, invoice
    balance: list[tuple[str, str]]    # invoice total, paid to date, remaining
    amount: str
    paid_on: str
    method: str
    remaining: str
    paid_in_full: bool
    outcome: str                      # "The invoice is paid in full." / "$X remains to be paid on invoice N."
    thanks: str
    reference: str                    # "Receipt for payment pay_…"
    footer: str | None = None
    filename: str = field(default="receipt.pdf")


def build_receipt(snapshot: InvoiceSnapshot, payment: PaymentFacts, *, locale: str | None = None) -> ReceiptView:
    doc = from_snapshot(snapshot)
    f = Formatter(locale or doc.locale, payment.currency or doc.currency)
    L = f.labels
    paid_day = payment.paid_at.date() if isinstance(payment.paid_at, datetime) else payment.paid_at
    method = describe(L, payment.method_type, brand=payment.brand, last4=payment.last4, reference=payment.reference)
    amount, remaining = f.money(payment.amount), f.money(max(doc.amount_due, 0))
    number = doc.number or ""
    full = doc.amount_due <= 0
    rows = [(L["receipt_amount"], amount), (L["receipt_paid_on"], f.date(paid_day)), (L["receipt_method"], method),
            (L["number"], number)]
    if payment.credit_added:
        rows.append((L["receipt_credit_added"], f.money(payment.credit_added)))
    balance = [(L["receipt_invoice_total"], f.money(doc.total)), (L["receipt_paid_to_date"], f.money(doc.amount_paid)),
               (L["receipt_remaining"], remaining)]
    return ReceiptView(
        lang=f.html_lang, labels=L, accent=doc.accent_color, title=L["receipt_title"],
        subtitle=L["receipt_for_invoice"].format(number=number), number=number,
        seller=party_view(doc.seller, f), buyer=party_view(doc.buyer, f), rows=rows, balance=balance,
        amount=amount, paid_on=f.date(paid_day), method=method, remaining=remaining, paid_in_full=full,
        outcome=L["receipt_paid_in_full"] if full else L["receipt_remaining_sentence"].format(remaining=remaining,
                                                                                               number=number),
        thanks=L["receipt_thanks"], reference=L["receipt_number"].format(payment_id=payment.payment_id),
        footer=doc.footer, filename=f"receipt-{_safe(number or snapshot.id)}-{_safe(payment.payment_id)}.pdf")


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in text)[:60]


def render_receipt_pdf(receipt: ReceiptView) -> bytes:
    """The receipt as PDF bytes, fonts embedded. Fetches nothing: data only."""
    from duely_presentation.pdf.receipt import render  # imported when used: the pure parts need no reportlab

    return render(receipt)
