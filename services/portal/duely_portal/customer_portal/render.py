"""The customer portal's pages: display-ready values for the Jinja2 templates under templates/portal/.

Branded with the organization's logo and accent (invoicing's portal_context), written in the customer's
language (else the organization's); money and dates by Babel, statuses and failure reasons in the words
the hosted page and the emails use.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime

from babel.dates import format_date

from duely_contracts.currency import format_amount
from duely_contracts.models import InvoiceSnapshot
from duely_presentation.content import from_snapshot
from duely_presentation.methods import describe
from duely_presentation.view import build_view
from duely_portal.customer_portal.labels import formatter
from duely_portal.domain import portal_rules as rules
from duely_portal.domain.payment_history import history_line, refund_line
from duely_portal.domain.presentation import PAYMENT_METHOD_CHOICES, SAVE_CARD_CHOICES
from duely_portal.pages import TEMPLATES

DEFAULT_ACCENT = "#4f46e5"


@dataclass(frozen=True)
class Frame:
    """What every page of a session shows around its content."""

    lang: str
    locale: str
    L: dict
    company: str
    logo_url: str | None
    accent: str
    customer_name: str
    csrf: str | None
    return_url: str | None
    autopay_allowed: bool

    def context(self, active: str | None) -> dict:
        return {"lang": self.lang, "L": self.L, "brand": self, "active": active, "csrf": self.csrf,
                "back_to": self.L["portal_back_to"].format(company=self.company) if self.return_url else None}


def frame(context: dict | None, csrf: str | None = None, return_url: str | None = None,
          fallback_locale: str = "en_US") -> Frame:
    context = context or {}
    customer, organization = context.get("customer") or {}, context.get("organization") or {}
    f = formatter(customer.get("locale") or organization.get("locale") or fallback_locale)
    return Frame(lang=f.html_lang, locale=str(f.locale), L=f.labels,
                 company=organization.get("name") or "", logo_url=organization.get("logo_url"),
                 accent=_color(organization.get("accent_color")), customer_name=customer.get("name") or "",
                 csrf=csrf, return_url=return_url,
                 autopay_allowed=bool((context.get("portal") or {}).get("customer_autopay", True)))


def _color(value: str | None) -> str:
    # The accent goes into a style attribute: only a hex colour (invoicing validates it; this is belt and braces).
    if value and value.startswith("#") and len(value) in (4, 7) and all(c in "0123456789abcdefABCDEF"
                                                                       for c in value[1:]):
        return value
    return DEFAULT_ACCENT


def money(amount: int, currency: str, locale: str) -> str:
    return format_amount(amount, currency, locale)


def day(value: date | datetime | None, locale: str) -> str:
    if value is None:
        return "—"
    return format_date(value.date() if isinstance(value, datetime) else value, format="medium", locale=locale)


def method_name(L: dict, method: dict) -> str:
    card = method.get("card") or {}
    kind = method.get("type") or "card"
    if kind == "card":
        return describe(L, "card", brand=card.get("brand"), last4=card.get("last4"))
    details = method.get(kind) or {}
    return describe(L, "ach_debit" if kind == "us_bank_account" else kind, last4=details.get("last4"))


def status_label(L: dict, snapshot: InvoiceSnapshot) -> str:
    if snapshot.status == "draft":
        return L["draft_status"]
    if snapshot.status in rules.OPEN_STATUSES and 0 < snapshot.amount_due < snapshot.total:
        return L["partially_paid"]
    return L.get(snapshot.status, snapshot.status.replace("_", " ").capitalize())


def invoice_row(fr: Frame, s: InvoiceSnapshot) -> dict:
    number = s.number or fr.L["draft_status"]
    return {"id": s.id, "number": number, "status": s.status, "status_label": status_label(fr.L, s),
            "issued": day(s.issued_at, fr.locale), "due": day(s.due_date, fr.locale),
            "total": money(s.total, s.currency, fr.locale), "amount_due": money(s.amount_due, s.currency, fr.locale),
            "open": rules.is_open(s.status, s.amount_due), "draft": s.status == "draft",
            "select_label": fr.L["portal_select_invoice"].format(number=number),
            "pdf_label": fr.L["portal_download_pdf"].format(number=number)}


def pay_choices(fr: Frame, methods: list[dict]) -> list[tuple[str, str]]:
    """The default saved method first (payments charges it when none is named), other saved ones, then the
    sandbox's test cards (a one-off charge), as the hosted page offers them."""
    active = [m for m in methods if m.get("status") == "active"]
    default = next((m for m in active if m.get("is_default")), None)
    choices = []
    if default is not None:
        choices.append(("default", fr.L["portal_default_method"].format(method=method_name(fr.L, default))))
    choices += [(m["id"], fr.L["portal_saved_method"].format(method=method_name(fr.L, m)))
                for m in active if m is not default]
    return choices + list(PAYMENT_METHOD_CHOICES)


def notice(kind: str, text: str, id: str = "portal-notice") -> dict:
    return {"kind": kind, "text": text, "id": id}


def failure_text(fr: Frame, code: str | None) -> str:
    L = fr.L
    return (L.get(f"portal_failure_{code}") or L.get(f"page_failure_{code}") or L.get(f"page_update_failure_{code}")
            or L["page_failure"]).format(company=fr.company)


def render(template: str, fr: Frame, active: str | None, **values) -> str:
    return TEMPLATES.get_template(f"portal/{template}").render(**fr.context(active), **values)


def invoices_page(fr: Frame, snapshots: list[InvoiceSnapshot], methods: list[dict], *, note: dict | None,
                  refresh_url: str | None) -> str:
    rows = [invoice_row(fr, s) for s in snapshots]
    open_rows = [r for r, s in zip(rows, snapshots) if r["open"]]
    currencies = {s.currency for s in snapshots if rules.is_open(s.status, s.amount_due)}
    pay_all = None
    if open_rows and len(currencies) == 1:
        total = sum(s.amount_due for s in snapshots if rules.is_open(s.status, s.amount_due))
        pay_all = fr.L["portal_pay_all"].format(amount=money(total, currencies.pop(), fr.locale))
    return render("invoices.html", fr, "invoices", notice=note, refresh_url=refresh_url,
                  open_rows=open_rows, other_rows=[r for r in rows if not r["open"]],
                  pay_all=pay_all, choices=pay_choices(fr, methods), form_key=secrets.token_urlsafe(16))


def invoice_page(fr: Frame, snapshot: InvoiceSnapshot, history: list[dict], methods: list[dict], *,
                 note: dict | None) -> str:
    view = build_view(from_snapshot(snapshot))
    row = invoice_row(fr, snapshot)
    due_text = None
    if row["open"] and snapshot.due_date:
        due_text = fr.L["due_on"].format(date=format_date(snapshot.due_date, format="long", locale=fr.locale))
    elif snapshot.status == "paid":
        due_text = fr.L["paid_in_full"]
    return render("invoice.html", fr, "invoices", v=view, row=row, notice=note, payments=history, due_text=due_text,
                  choices=pay_choices(fr, methods) if row["open"] else [],
                  pay_label=fr.L["portal_pay_this"].format(amount=row["amount_due"]),
                  draft_notice=fr.L["portal_draft_notice"].format(company=fr.company) if row["draft"] else None,
                  form_key=secrets.token_urlsafe(16))


def payments_page(fr: Frame, payments: list, refunds: list) -> str:
    L = fr.L
    lines = []
    for entry, number in payments:
        succeeded = entry.outcome == "succeeded"
        if succeeded and entry.method_type not in (None, "card"):
            text = describe(L, entry.method_type, brand=entry.card_brand, last4=entry.card_last4,
                            reference=entry.reference)
        else:
            text = history_line(L, succeeded=succeeded, date=day(entry.occurred_at, fr.locale),
                                brand=entry.card_brand, last4=entry.card_last4, failure_reason=entry.failure_reason,
                                failure_code=entry.failure_code)
        lines.append((entry.occurred_at, {
            "date": day(entry.occurred_at, fr.locale), "invoice_id": entry.invoice_id, "number": number or "—",
            "text": text, "amount": money(entry.amount, entry.currency, fr.locale),
            "kind": "succeeded" if succeeded else "failed",
            "receipt": f"/portal/receipts/{entry.payment_id}" if succeeded and entry.payment_id else None,
            "receipt_label": L["portal_receipt_for"].format(number=number or "")}))
    for refund, number in refunds:
        lines.append((refund.refunded_at, {
            "date": day(refund.refunded_at, fr.locale), "invoice_id": refund.invoice_id, "number": number or "—",
            "text": refund_line(L, date=day(refund.refunded_at, fr.locale), reason=refund.reason),
            "amount": money(-refund.amount, refund.currency, fr.locale), "kind": "refunded", "receipt": None}))
    lines.sort(key=lambda item: item[0], reverse=True)
    return render("payments.html", fr, "payments", lines=[line for _, line in lines])


def methods_page(fr: Frame, methods: list[dict], *, note: dict | None, bank: dict | None) -> str:
    L = fr.L
    shown = []
    for m in methods:
        name = method_name(L, m)
        card = m.get("card") or {}
        expires = None
        if card.get("exp_month") and card.get("exp_year"):
            expires = L["portal_expires"].format(date=format_date(date(card["exp_year"], card["exp_month"], 1),
                                                                  format="MM/y", locale=fr.locale))
        state = {"pending_verification": L["portal_method_pending"], "expired": L["portal_method_expired"]}.get(
            m.get("status"))
        shown.append({"id": m["id"], "name": name, "default": bool(m.get("is_default")), "expires": expires,
                      "state": state, "default_label": L["portal_make_default_for"].format(method=name),
                      "remove_label": L["portal_remove_for"].format(method=name)})
    return render("methods.html", fr, "methods", notice=note, methods=shown, cards=SAVE_CARD_CHOICES,
                  form_key=secrets.token_urlsafe(16), bank=bank)


def autopay_page(fr: Frame, context: dict, *, note: dict | None) -> str:
    autopay = context.get("autopay") or {}
    return render("autopay.html", fr, "autopay", notice=note, autopay=autopay,
                  intro=fr.L["portal_autopay_intro"].format(company=fr.company),
                  managed=None if fr.autopay_allowed else fr.L["portal_autopay_managed"].format(company=fr.company),
                  timings=[(t, fr.L[f"portal_timing_{t}"]) for t in ("on_issue", "on_due_date", "days_before_due")])


def message_page(fr: Frame, title: str, message: str, *, status_id: str = "message", form: dict | None = None,
                 note: dict | None = None) -> str:
    """A page outside a session: an expired or used link (with "email me a new link"), signed out, not found."""
    return TEMPLATES.get_template("portal/message.html").render(
        lang=fr.lang, L=fr.L, brand=fr, title=title, message=message, form=form, notice=note, status_id=status_id)
