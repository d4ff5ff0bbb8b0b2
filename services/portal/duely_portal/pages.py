"""Rendering hosted pages: Jinja2 templates (autoescaped) fed with display-ready values.

The invoice itself comes from `duely_presentation`'s InvoiceView, the same one the PDF and the
emails render, so no number or word differs between them; this module adds only what belongs to
the page: the pay form, payment instructions per accepted method, the state after paying, the
payment history and the download link.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path

from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader, select_autoescape

from duely_presentation.content import from_snapshot
from duely_presentation.i18n import Formatter
from duely_presentation.view import InvoiceView, build_view
from duely_portal.domain import presentation
from duely_portal.domain.payment_history import history_line, refund_line
from duely_presentation.methods import DEBIT_TYPES, describe, method_type_name
from duely_portal.domain.page_state import PageState, invoice_methods, page_state
from duely_portal.service import HostedInvoice, offered_debits
from duely_portal.customer_portal.labels import LABELS as portal_labels

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"], default=True),
    trim_blocks=True, lstrip_blocks=True,
)


def render_invoice(invoice: HostedInvoice, token: str, *, payment: str | None, code: str | None,
                   waited: int = 0, gateway: tuple[str, str] | None = None, attempt: int | None = None) -> str:
    """`gateway`: (publishable key, the gateway's public API base) for the bank debit form's script."""
    doc = from_snapshot(invoice.snapshot)
    view = build_view(doc)
    debit = invoice.debits[-1] if invoice.debits else None
    follow = f"payment=debit&attempt={attempt}" if payment == "debit" and attempt is not None else "payment=succeeded"
    if payment == "debit":  # after paying by bank debit: this attempt's outcome, once the read model has it
        failed = attempt is not None and any(entry.outcome == "failed" and entry.attempt_number >= attempt
                                             for entry in invoice.payments)
        payment, code = ("failed", "debit_failed") if failed else ("processing", None)
    state = page_state(doc.status, doc.amount_due, payment, code, waited, debit_processing=debit is not None)
    methods = invoice_methods(invoice.snapshot)
    L = view.labels
    # AutoPay will charge it: say so, and keep paying now as an option folded away (payments holds one
    # charge at a time, so paying now and AutoPay can't both charge). A failed attempt unfolds it.
    autopay = view.autopay if state.is_payable and not any(p.outcome == "failed" for p in invoice.payments) \
        else None
    if state.debit:
        status_label, due_text = L["debit_processing_status"], view.due_text
    elif state.kind == "processing":
        status_label, due_text = L["page_processing_status"], L["page_processing_due"]
    else:
        status_label, due_text = view.status_label, view.due_text
    debits = [method_type_name(L, code) for code in dict.fromkeys(
        "ach_debit" if m == "us_bank_account" else m for m in methods) if code in DEBIT_TYPES]
    context = {
        "v": view, "L": view.labels, "lang": view.lang, "token": token, "state": state,
        "status_label": status_label, "due_text": due_text, "autopay": autopay,
        "debit_methods": L["pay_by_debit_intro"].format(methods=", ".join(debits), company=view.seller.name)
        if debits and state.is_payable else None,
        "notice": _debit_notice(debit, view) if state.debit else _notice(state, view),
        "refresh_url": f"/i/{token}?{follow}&wait={state.next_wait}" if state.refresh_after else None,
        "pay_label": view.labels["page_pay_button"].format(amount=view.amount_due),
        "card": state.is_payable and "card" in methods,
        "wire": state.is_payable and "wire_transfer" in methods and bool(view.bank_rows),
        "check": _check(view) if state.is_payable and "check" in methods else None,
        "payment_methods": presentation.PAYMENT_METHOD_CHOICES,
        "attempt_key": secrets.token_urlsafe(16),  # one per rendered form: a double submit is one attempt
        "debit_attempt_key": secrets.token_urlsafe(16),
        # The customer's portal: all their invoices (a sign-in link is emailed to the address on file).
        "portal_link": portal_labels.get(view.lang.split("-")[0], portal_labels["en"])["portal_hosted_link"],
        "download_label": view.labels["page_download_receipt" if doc.status == "paid" else "page_download_pdf"],
        "payments": _payment_history(invoice, view),
        "debit_form": _debit_form(invoice, view, gateway) if state.is_payable and gateway else None,
    }
    return TEMPLATES.get_template("invoice.html").render(**context)


def render_message(locale: str, title_key: str, message_key: str) -> str:
    """A page with no invoice on it (not found, unavailable), in the portal's configured language."""
    formatter = Formatter(locale, "usd")
    return TEMPLATES.get_template("message.html").render(
        lang=formatter.html_lang, L=formatter.labels, title=formatter.label(title_key),
        message=formatter.label(message_key))


def _notice(state: PageState, view: InvoiceView) -> dict | None:
    labels = view.labels
    if state.just_paid:
        return {"kind": "ok", "id": "payment-outcome", "text": labels["page_payment_received"]}
    if state.failure_code:
        return {"kind": "bad", "id": "payment-outcome",
                "text": labels.get(f"page_failure_{state.failure_code}") or labels["page_failure"]}
    if state.kind == "processing":
        return {"kind": "info", "id": "processing-notice",
                "text": labels["page_processing_notice" if state.refresh_after else "page_processing_slow"]}
    return None


def _debit_notice(debit, view: InvoiceView) -> dict:
    method = method_type_name(view.labels, debit.method_type)
    text = view.labels["debit_processing_notice"].format(
        method=method, amount=presentation.format_money(debit.amount, debit.currency, view.locale),
        date=_on(debit.started_at, view.locale))
    return {"kind": "info", "id": "processing-notice", "text": text}


def _debit_form(invoice: HostedInvoice, view: InvoiceView, gateway: tuple[str, str]) -> dict | None:
    """The "Pay by bank debit" form: SEPA for a euro invoice accepting it, ACH for a US dollar one. Its script
    creates the PaymentMethod at the gateway (publishable key) and posts only its id and the accepted mandate."""
    offered = offered_debits(invoice.snapshot)
    if not offered:
        return None
    kind = offered[0]  # each debits in one currency, so an invoice is offered one of them at most
    L = view.labels
    company = view.seller.name
    mandate = (L["page_debit_sepa_mandate"].format(company=company) if kind == "sepa_debit" else
               L["page_debit_ach_mandate"].format(company=company, amount=view.amount_due))
    key, api_base = gateway
    return {
        "kind": kind, "title": "SEPA" if kind == "sepa_debit" else "ACH", "mandate": mandate,
        "accept": L["page_debit_accept_sepa" if kind == "sepa_debit" else "page_debit_accept_ach"],
        "button": L["page_debit_button"].format(amount=view.amount_due),
        "privacy": L["page_debit_privacy"].format(company=company),
        "config": {"key": key, "api": api_base.rstrip("/"), "type": "sepa_debit" if kind == "sepa_debit"
                   else "us_bank_account", "email": view.buyer.email or "", "sending": L["page_debit_sending"],
                   "errors": {"iban": L["page_debit_error_iban"], "routing": L["page_debit_error_routing"],
                              "account": L["page_debit_error_account"], "network": L["page_debit_error_network"],
                              "other": L["page_debit_error"]}},
    }


def _check(view: InvoiceView) -> dict:
    """Checks go to the seller's own address, payable to the seller, with the invoice number on them."""
    intro = view.labels["page_check_intro"].format(amount=view.amount_due, payee=view.seller.name, number=view.number)
    return {"intro": intro, "address": [view.seller.name, *view.seller.lines] if view.seller.lines else []}


def _payment_history(invoice: HostedInvoice, view: InvoiceView) -> list[dict]:
    """Payments and refunds in the order they happened (a refund after the payment it gives back)."""
    lines = [(entry.occurred_at, 0, _payment_line(entry, view)) for entry in invoice.payments]
    lines += [(refund.refunded_at, 1, _refund_line(refund, view)) for refund in invoice.refunds]
    return [line for _, _, line in sorted(lines, key=lambda item: item[:2])]


def _payment_line(entry, view: InvoiceView) -> dict:
    succeeded = entry.outcome == "succeeded"
    if succeeded and entry.method_type not in (None, "card"):
        text = view.labels["history_paid_by"].format(
            date=_on(entry.occurred_at, view.locale),
            method=describe(view.labels, entry.method_type, brand=entry.card_brand, last4=entry.card_last4,
                            reference=entry.reference))
    elif not succeeded and entry.method_type in DEBIT_TYPES:  # a bank debit returned: no card to name
        text = view.labels["page_history_debit_failed"].format(
            method=method_type_name(view.labels, entry.method_type), date=_on(entry.occurred_at, view.locale))
    else:
        text = history_line(view.labels, succeeded=succeeded, date=_on(entry.occurred_at, view.locale),
                            brand=entry.card_brand, last4=entry.card_last4, failure_reason=entry.failure_reason,
                            failure_code=entry.failure_code)
    return {"kind": "succeeded" if succeeded else "failed", "text": text,
            "amount": presentation.format_money(entry.amount, entry.currency, view.locale)}


def _refund_line(refund, view: InvoiceView) -> dict:
    return {"kind": "refunded", "text": refund_line(view.labels, date=_on(refund.refunded_at, view.locale),
                                                     reason=refund.reason),
            # Money going back, signed as the totals' "Amount paid" is: the lines add up to what was paid so far.
            "amount": presentation.format_money(-refund.amount, refund.currency, view.locale)}


def _on(value: datetime, locale: str) -> str:
    return format_date(value, format="medium", locale=locale)
