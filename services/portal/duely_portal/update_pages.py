"""The card update page (`/portal/payment_methods/update/<token>`, the link in the payment_method_expiring
email): which card expires, a form to save a new one, the confirmation. Branded like the customer's newest
invoice page (logo, accent colour, seller name) and written in the customer's language (else the invoice's,
else the portal's configured one). The card input works as the hosted page's pay form: a choice of the sandbox's test payment methods
(`presentation.SAVE_CARD_CHOICES`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date

from duely_contracts.models import InvoiceSnapshot
from duely_presentation.cards import brand_name
from duely_presentation.content import from_snapshot
from duely_presentation.i18n import Formatter
from duely_presentation.view import build_view
from duely_portal.domain import presentation
from duely_portal.pages import TEMPLATES

DEFAULT_ACCENT = "#4f46e5"


@dataclass(frozen=True)
class Branding:
    company: str | None
    logo_url: str | None
    accent: str
    locale: str | None  # the invoice's


def branding(snapshot: InvoiceSnapshot | None, organization_name: str | None) -> Branding:
    if snapshot is None:
        return Branding(organization_name, None, DEFAULT_ACCENT, None)
    view = build_view(from_snapshot(snapshot))
    return Branding(view.seller.name or organization_name, view.logo_url, view.accent or DEFAULT_ACCENT, view.locale)


def card_label(method: dict) -> str:
    card = method.get("card") or {}
    brand = brand_name(card.get("brand") or "card")
    return f"{brand} •••• {card.get('last4')}" if card.get("last4") else brand


def _expires(method: dict, locale) -> str:
    card = method.get("card") or {}
    if not card.get("exp_month") or not card.get("exp_year"):
        return ""
    return format_date(date(card["exp_year"], card["exp_month"], 1), format="MMMM y", locale=locale)


def render_update(token: str, context: dict, brand: Branding, fallback_locale: str, *,
                  saved: dict | None = None, failure_code: str | None = None) -> str:
    f = Formatter(context["customer"].get("locale") or brand.locale or fallback_locale, "usd")
    L = f.labels
    method = context["payment_method"]
    company = brand.company or context.get("organization_name") or ""
    expires = _expires(method, f.locale)
    sentence = L["page_update_expired" if method.get("status") == "expired" else "page_update_expiring"]
    notice = None
    if saved is not None:
        notice = {"kind": "ok", "id": "update-outcome", "text": L["page_update_saved"].format(card=card_label(saved))}
    elif failure_code:
        notice = {"kind": "bad", "id": "update-outcome",
                  "text": L.get(f"page_update_failure_{failure_code}") or L["page_update_failure"]}
    return TEMPLATES.get_template("payment_method_update.html").render(
        lang=f.html_lang, L=L, token=token, brand=brand, company=company, notice=notice, saved=saved,
        current_card=card_label(method), expires=expires,
        saved_card=card_label(saved) if saved else None, saved_expires=_expires(saved, f.locale) if saved else None,
        expiring_text=sentence.format(card=card_label(method), expires=expires) if expires else None,
        intro=L["page_update_intro"].format(company=company),
        saved_detail=L["page_update_saved_detail"].format(company=company),
        default_note=L["page_update_default_note"].format(company=company),
        payment_methods=presentation.SAVE_CARD_CHOICES,
        form_key=secrets.token_urlsafe(16))  # one per rendered form: a double submit saves once


def render_update_message(locale: str, title_key: str, message_key: str, *, company: str | None = None,
                          accent: str | None = None) -> str:
    """Not valid, expired, unavailable: a friendly page in the customer's (or the portal's) language."""
    f = Formatter(locale, "usd")
    if message_key == "page_update_expired_message" and not company:
        message_key = "page_update_expired_message_plain"
    return TEMPLATES.get_template("message.html").render(
        lang=f.html_lang, L=f.labels, title=f.label(title_key),
        message=f.label(message_key).format(company=company or ""), accent=accent)
