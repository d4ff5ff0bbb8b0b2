"""Template contexts for each email. Pure: no I/O.

The invoice part of every email is the `InvoiceView` the PDF and the hosted page render
(duely_presentation): its lines with periods and discounts, totals rows, tax breakdown and amount
due are the PDF's strings, so no number can differ. The email's own sentences come from the email
labels in the customer's language; every amount and date in them is formatted by the same
Formatter (Babel) for the invoice's locale.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Any, Mapping

from babel.dates import format_time

from duely_presentation.content import DEFAULT_ACCENT, DocumentInput
from duely_presentation.i18n import Formatter
from duely_presentation.receipt import ReceiptView
from duely_presentation.view import InvoiceView

from duely_presentation.cards import brand_name

from duely_notifications.domain.payment_words import describe_method, failure_sentence

REMINDER_TONES = ("gentle", "firm", "final")
ONLINE_METHODS = ("card", "ach_debit", "us_bank_account", "sepa_debit")  # paid on the hosted page


def https_only(url: str | None) -> str | None:
    """A logo an email client may load: https only (a data: URI is refused or stripped by most clients,
    http is mixed content, any other scheme has no business in an <img>)."""
    return url if url and url.lower().startswith("https://") and not any(c.isspace() for c in url) else None


def days_text(labels: Mapping[str, str], days: int) -> str:
    return labels["email_days_one"] if days == 1 else labels["email_days_other"].format(n=days)


def joined(labels: Mapping[str, str], names: list[str]) -> str:
    """['Card', 'SEPA Direct Debit', 'ACH'] → 'Card, SEPA Direct Debit or ACH'."""
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} {labels['email_or']} {names[-1]}"


def how_to_pay(v: InvoiceView) -> list[dict[str, Any]]:
    """One entry per way the invoice accepts, in the order online → bank transfer → check; none once
    nothing is owed, nor while AutoPay will charge it (the email says so instead: no pay button). An
    invoice from before accepted methods were carried is paid online."""
    if not v.is_payable or v.autopay:
        return []
    L = v.labels
    codes = list(dict.fromkeys(v.method_codes or ("card",)))
    ways: list[dict[str, Any]] = []
    online = list(dict.fromkeys(L.get(f"method_{code}", code) for code in codes if code in ONLINE_METHODS))
    if online and v.pay_url:
        ways.append({"kind": "online", "intro": L["email_pay_online_with"].format(methods=joined(L, online)),
                     "url": v.pay_url, "button": L["email_pay_now"]})
    if "wire_transfer" in codes and v.bank_rows:
        ways.append({"kind": "transfer", "intro": L["email_pay_by_transfer"].format(reference=v.number),
                     "rows": v.bank_rows})
    if "check" in codes:
        ways.append({"kind": "check", "intro": L["pay_by_check_intro"].format(payee=v.seller.name, reference=v.number),
                     "lines": [v.seller.name, *v.seller.lines]})
    return ways


def _base(subject: str, labels: Mapping[str, str], lang: str, company: str, customer_name: str, *,
          v: InvoiceView | None = None, accent: str = DEFAULT_ACCENT, logo_url: str | None = None,
          footer: str | None = None) -> dict[str, Any]:
    """What the layout needs, with every optional part present (the templates are strict)."""
    return {"subject": subject, "L": labels, "lang": lang, "company": company, "accent": accent,
            "logo_url": https_only(logo_url), "footer": footer, "v": v,
            "greeting": labels["email_greeting"].format(name=customer_name),
            "sent_by": labels["email_sent_by"].format(company=company), "intro": None, "paragraphs": [],
            "rows": [], "how_to_pay": [], "pdf_note": None, "invoice_url": None, "button": None,
            "action_url": None, "action_label": None}


def invoice_base(v: InvoiceView, subject: str, pdf_note: str | None) -> dict[str, Any]:
    context = _base(subject, v.labels, v.lang, v.seller.name, v.buyer.name, v=v, accent=v.accent,
                    logo_url=v.logo_url, footer=v.footer)
    context.update({"how_to_pay": how_to_pay(v), "pdf_note": pdf_note, "invoice_url": v.pay_url,
                    "button": v.labels["email_review_invoice"] if v.pay_url else None})
    return context


def _names(v: InvoiceView) -> dict[str, str]:
    return {"number": v.number or "", "company": v.seller.name}


def invoice_issued(v: InvoiceView, pdf_note: str | None = None) -> dict[str, Any]:
    L = v.labels
    context = invoice_base(v, L["email_invoice_subject"].format(**_names(v)), pdf_note)
    paid = v.status == "paid" and not v.is_payable
    context["intro"] = L["email_invoice_paid_intro" if paid else "email_invoice_intro"].format(**_names(v))
    _autopay(context, v)
    return context


def _autopay(context: dict[str, Any], v: InvoiceView) -> None:
    """AutoPay will charge it: say when and to what instead of asking to pay. For a SEPA debit the email is
    the debit's pre-notification (amount, date, account, mandate, creditor)."""
    plan = v.autopay
    if not plan:
        return
    context["intro"] = f"{context['intro']} {plan['text']}"
    paragraphs = []
    if plan["sepa"]:
        context["rows"] = plan["sepa"]["rows"]  # amount, debit date, account, mandate, creditor
        paragraphs.append(plan["sepa"]["text"])
    paragraphs.append(plan["nothing_to_do"])
    context["paragraphs"] = paragraphs


def reminder(doc: DocumentInput, v: InvoiceView, tone: str, today: date,
             pdf_note: str | None = None) -> dict[str, Any]:
    if tone not in REMINDER_TONES:
        raise ValueError(f"unknown reminder tone {tone!r}")
    L, f = v.labels, Formatter(v.locale, v.currency)
    overdue_days = max((today - doc.due_date).days, 0) if doc.due_date else 0
    words = {**_names(v), "due": f.date(doc.due_date), "days": days_text(L, overdue_days)}
    if tone == "final" and (overdue_days or not doc.due_date):
        subject, sentence = L["email_reminder_subject_final"], L["email_reminder_final"]
    elif tone == "final":  # a failed AutoPay invoice reaches its final notice before its due date
        subject, sentence = L["email_reminder_subject_final_due"], L["email_reminder_final_due"]
    else:
        subject = (L["email_reminder_subject_overdue"] if overdue_days else
                   L["email_reminder_subject_due"] if doc.due_date else L["email_reminder_subject_now"])
        if tone == "firm":
            sentence = L["email_reminder_firm_overdue"] if overdue_days else L["email_reminder_firm_due"]
        else:
            sentence = (L["email_reminder_gentle_overdue"] if overdue_days else
                        L["email_reminder_gentle_due"] if doc.due_date else L["email_reminder_gentle_now"])
    context = invoice_base(v, subject.format(**words), pdf_note)
    context.update({"intro": sentence.format(**words), "paragraphs": [L["email_already_paid"]]})
    return context


def _day(f: Formatter, value: Any) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return f.date(value.date() if isinstance(value, datetime) else value)


def payment_failed(v: InvoiceView, facts: Mapping[str, Any]) -> dict[str, Any]:
    L = v.labels
    context = invoice_base(v, L["email_failed_subject"].format(**_names(v)), None)
    method = describe_method(L, facts.get("payment_method"), facts.get("method_details"))
    # The customer-safe reason payments derived (events before it existed carry only the gateway's code).
    rows = [(L["email_reason"], failure_sentence(L, facts.get("failure_reason") or facts.get("failure_code")))]
    if method:
        rows.append((L["email_payment_method"], method))
    context.update({"intro": L["email_failed_intro"].format(**_names(v)), "rows": rows,
                    "paragraphs": [L["email_failed_next"]]})
    return context


def receipt(v: InvoiceView, r: ReceiptView, pdf_note: str | None = None) -> dict[str, Any]:
    """One counted payment (partial or final): what was paid, when, how, and what remains; the rows are
    the receipt PDF's own."""
    L = v.labels
    context = invoice_base(v, L["email_receipt_subject"].format(**_names(v)), pdf_note)
    context.update({"intro": L["email_receipt_intro"], "rows": [*r.rows, *r.balance[1:]],
                    "paragraphs": [r.outcome]})
    return context


def refund(v: InvoiceView, facts: Mapping[str, Any]) -> dict[str, Any]:
    L = v.labels
    money = Formatter(v.locale, str(facts.get("currency") or v.currency)).money
    context = invoice_base(v, L["email_refund_subject"].format(**_names(v)), None)
    why = L.get(f"refund_{facts.get('reason')}") or L["refund_generic"]
    context.update({"intro": L["email_refund_intro"].format(amount=money(int(facts["amount"]))),
                    "paragraphs": [why.format(**_names(v)), L["email_refund_timing"]],
                    "how_to_pay": [], "button": None})
    context["v"] = None  # a refund is about a payment, not a bill: no invoice table to misread as one
    return context


def expiring(facts: Mapping[str, Any], company: str, locale: str) -> dict[str, Any]:
    f = Formatter(locale, "usd")
    L = f.labels
    words = {"brand": brand_name(str(facts["brand"])), "last4": facts["last4"], "company": company,
             "expires": f"{int(facts['exp_month']):02d}/{int(facts['exp_year']) % 100:02d}"}
    context = _base(L["email_expiring_subject"].format(**words), L, f.html_lang, company,
                    str(facts.get("customer_name") or ""))
    context.update({"intro": L["email_expiring_body"].format(**words), "paragraphs": [L["email_expiring_action"]],
                    "rows": [(L["email_expiring_card"], f"{brand_name(str(facts['brand']))} •••• {facts['last4']}"),
                             (L["email_expiring_expires"], words["expires"])]})
    if facts.get("update_url"):
        context.update({"action_url": facts["update_url"], "action_label": L["email_update_method"]})
    return context


HEX_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")


def _instant(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def portal_link(facts: Mapping[str, Any], company: str, locale: str) -> dict[str, Any]:
    """A sign-in link to the customer portal (portal.link_requested): who sent it (the merchant, or the customer's
    own request), when it expires, one button and the address spelled out, under the organization's brand."""
    f = Formatter(locale, "usd")
    L = f.labels
    expires_at = _instant(facts["expires_at"]).astimezone(timezone.utc)
    expires = f"{f.date(expires_at.date())}, {format_time(expires_at.timetz(), format='short', locale=f.locale)}"
    accent = str(facts.get("accent_color") or "")
    context = _base(L["email_portal_link_subject"].format(company=company), L, f.html_lang, company,
                    str(facts.get("customer_name") or ""),
                    accent=accent if HEX_COLOUR.match(accent) else DEFAULT_ACCENT, logo_url=facts.get("logo_url"))
    by = "customer" if facts.get("requested_by") == "customer" else "merchant"
    context.update({"intro": L[f"email_portal_link_by_{by}"].format(company=company),
                    "action_url": facts["url"], "action_label": L["email_portal_link_button"],
                    "paragraphs": [L["email_portal_link_expires"].format(expires=expires),
                                   L["email_portal_link_fallback"].format(url=facts["url"]),
                                   L["email_portal_link_ignore"]]})
    return context
