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
from duely_portal.domain.payment_history import history_line
from duely_portal.domain.page_state import PageState, accepted_methods, page_state
from duely_portal.service import HostedInvoice

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"], default=True),
    trim_blocks=True, lstrip_blocks=True,
)


def render_invoice(invoice: HostedInvoice, token: str, *, payment: str | None, code: str | None,
                   waited: int = 0) -> str:
    doc = from_snapshot(invoice.snapshot)
    view = build_view(doc)
    state = page_state(doc.status, doc.amount_due, payment, code, waited)
    methods = accepted_methods(doc.accepted_payment_methods)
    context = {
        "v": view, "L": view.labels, "lang": view.lang, "token": token, "state": state,
        "status_label": view.labels["page_processing_status"] if state.kind == "processing" else view.status_label,
        "due_text": view.labels["page_processing_due"] if state.kind == "processing" else view.due_text,
        "notice": _notice(state, view),
        "refresh_url": f"/i/{token}?payment=succeeded&wait={state.next_wait}" if state.refresh_after else None,
        "pay_label": view.labels["page_pay_button"].format(amount=view.amount_due),
        "card": state.is_payable and "card" in methods,
        "wire": state.is_payable and "wire_transfer" in methods and bool(view.bank_rows),
        "check": _check(view) if state.is_payable and "check" in methods else None,
        "payment_methods": presentation.PAYMENT_METHOD_CHOICES,
        "attempt_key": secrets.token_urlsafe(16),  # one per rendered form: a double submit is one attempt
        "download_label": view.labels["page_download_receipt" if doc.status == "paid" else "page_download_pdf"],
        "payments": _payment_history(invoice, view),
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


def _check(view: InvoiceView) -> dict:
    """Checks go to the seller's own address, payable to the seller, with the invoice number on them."""
    intro = view.labels["page_check_intro"].format(amount=view.amount_due, payee=view.seller.name, number=view.number)
    return {"intro": intro, "address": [view.seller.name, *view.seller.lines] if view.seller.lines else []}


def _payment_history(invoice: HostedInvoice, view: InvoiceView) -> list[dict]:
    return [{
        "text": history_line(view.labels, succeeded=entry.outcome == "succeeded",
                             date=_on(entry.occurred_at, view.locale), brand=entry.card_brand, last4=entry.card_last4,
                             failure_reason=entry.failure_reason, failure_code=entry.failure_code),
        "amount": presentation.format_money(entry.amount, entry.currency, view.locale),
        "succeeded": entry.outcome == "succeeded",
    } for entry in invoice.payments]


def _on(value: datetime, locale: str) -> str:
    return format_date(value, format="medium", locale=locale)
