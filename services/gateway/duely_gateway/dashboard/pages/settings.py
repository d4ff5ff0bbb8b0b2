"""Settings → Invoicing (branding with a preview, numbering, terms, currency, locale, accepted methods, bank
details, late fees) and Settings → Invoicing → Reminders, each section its own form: one PATCH of
/v1/settings/invoicing with only that section's fields."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from duely_gateway.dashboard.api_client import ApiProblem
from duely_gateway.dashboard.outcomes import attempt
from duely_gateway.dashboard.pages.fields import (
    bad, checked, integer, integer_or_none, major, minor_units, rows, text_or_none,
)
from duely_gateway.dashboard.render import page
from duely_gateway.dashboard.session import Form, SignedIn, form_of

router = APIRouter()

SETTINGS = "/v1/settings/invoicing"
PAYMENT_METHODS = (("card", "Card"), ("ach_debit", "ACH debit (US bank)"), ("sepa_debit", "SEPA Direct Debit"),
                   ("wire_transfer", "Wire transfer"), ("check", "Check"))
REMINDER_TEMPLATES = (("invoice_reminder", "Reminder"), ("invoice_reminder_gentle", "Gentle reminder"),
                      ("invoice_reminder_firm", "Firm reminder"), ("invoice_reminder_final", "Final warning"))
BANK_FIELDS = ("account_name", "bank_name", "iban", "bic", "account_number", "routing_number")
MAX_REMINDERS = 10


def _branding(form: Form, current: dict) -> dict:
    return {"logo_url": text_or_none(form, "logo_url"), "accent_color": form.get("accent_color").strip() or None,
            "footer": text_or_none(form, "footer")}


def _numbering(form: Form, current: dict) -> dict:
    return {"invoice_prefix": form.get("invoice_prefix").strip(), "number_format": form.get("number_format").strip(),
            "number_reset": form.get("number_reset")}


def _terms(form: Form, current: dict) -> dict:
    methods = form.getlist("accepted_payment_methods")
    if not methods:
        raise bad("accepted_payment_methods", "Accept at least one payment method.")
    return {"payment_terms": form.get("payment_terms").strip(), "currency": text_or_none(form, "currency"),
            "locale": form.get("locale").strip(), "default_memo": text_or_none(form, "default_memo"),
            "accepted_payment_methods": methods}


def _bank(form: Form, current: dict) -> dict:
    details = {key: text_or_none(form, key) for key in BANK_FIELDS}
    return {"bank_details": {k: v for k, v in details.items() if v} or None}


def _late_fee(form: Form, current: dict) -> dict:
    currency = current.get("currency") or "usd"
    after_days = integer_or_none(form, "late_fee_after_days")
    return {"late_fee": {
        "enabled": checked(form, "late_fee_enabled"), "percentage": text_or_none(form, "late_fee_percentage"),
        "fixed_amount": minor_units(form.get("late_fee_fixed_amount"), currency, "late_fee.fixed_amount"),
        "after_days": 30 if after_days is None else after_days,
        "recurrence": form.get("late_fee_recurrence") or "once",
        "cap": minor_units(form.get("late_fee_cap"), currency, "late_fee.cap")}}


SECTIONS = {"branding": (_branding, "Branding saved."), "numbering": (_numbering, "Numbering saved."),
            "terms": (_terms, "Terms and payment methods saved."), "bank": (_bank, "Bank details saved."),
            "late_fee": (_late_fee, "Late fees saved.")}


async def _latest_invoice(viewer) -> dict | None:
    """The newest invoice that has a hosted page, for the branding preview's links (none: the sample only)."""
    try:
        listed = await viewer.api.get("/v1/invoices", limit=10)
    except ApiProblem:
        return None
    return next((i for i in listed.get("data", []) if i.get("hosted_invoice_url")), None)


@router.get("/dashboard/settings")
async def settings_home(viewer: SignedIn):
    return RedirectResponse("/dashboard/settings/invoicing", status_code=303)


@router.get("/dashboard/settings/invoicing")
async def invoicing_settings(request: Request, viewer: SignedIn):
    settings = await viewer.api.get(SETTINGS)
    currency = settings.get("currency") or "usd"
    late_fee = settings.get("late_fee") or {}
    return page(request, "settings/invoicing.html", viewer, active="settings", tab="invoicing", s=settings,
                currency=currency, methods=PAYMENT_METHODS, bank=settings.get("bank_details") or {},
                bank_fields=BANK_FIELDS, late_fee=late_fee,
                late_fee_fixed=major(late_fee.get("fixed_amount"), currency),
                late_fee_cap=major(late_fee.get("cap"), currency), latest=await _latest_invoice(viewer),
                editable=viewer.can("PATCH", SETTINGS))


@router.post("/dashboard/settings/invoicing/{section}")
async def save_invoicing_section(request: Request, section: str, viewer: SignedIn):
    form = await form_of(request, viewer)
    if section not in SECTIONS:
        raise ApiProblem(404, "not_found", "No such settings section.")
    build, notice = SECTIONS[section]

    async def save():
        current = await viewer.api.get(SETTINGS) if section == "late_fee" else {}
        return await viewer.api.patch(SETTINGS, json=build(form, current))
    return await attempt(request, "/dashboard/settings/invoicing", notice, save())


@router.get("/dashboard/settings/invoicing/preview.pdf")
async def preview_pdf(viewer: SignedIn) -> Response:
    """The newest invoice's PDF as the API draws it now, with the current branding."""
    latest = await _latest_invoice(viewer)
    if latest is None:
        raise ApiProblem(404, "not_found", "No invoice yet.")
    answer = await viewer.api.raw("GET", f"/v1/invoices/{latest['id']}/pdf")
    if answer.status_code != 200:
        raise ApiProblem(answer.status_code, "pdf_unavailable", "The PDF is not available right now.")
    return Response(answer.content, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{latest.get("number") or latest["id"]}.pdf"',
                             "Cache-Control": "no-store"})


# -- reminders ------------------------------------------------------------------------------------------------

def _side_rows(rule: dict, blanks: int = 2) -> list[dict]:
    days, templates = rule.get("days") or [], rule.get("templates") or []
    out = [{"day": day, "template": templates[min(i, len(templates) - 1)] if templates else ""}
           for i, day in enumerate(days)]
    return out + [{"day": "", "template": ""}] * max(0, min(blanks, MAX_REMINDERS - len(out)))


def _side(form: Form, side: str) -> dict:
    picked = [row for row in rows(form, side, ("day", "template")) if row["day"]]  # a template alone: an unused row
    days, templates = [], []
    for row in picked:
        days.append(integer(row["day"], f"reminders.{side}.days"))
        templates.append(row["template"] or "invoice_reminder")
    rule: dict = {"enabled": checked(form, f"{side}_enabled")}
    if days:
        rule.update(days=days, templates=templates)
    elif rule["enabled"]:
        raise bad(f"reminders.{side}.days", "Give at least one day to turn these reminders on.")
    return rule


@router.get("/dashboard/settings/reminders")
async def reminder_settings(request: Request, viewer: SignedIn):
    settings = await viewer.api.get(SETTINGS)
    reminders = settings.get("reminders") or {}
    return page(request, "settings/reminders.html", viewer, active="settings", tab="reminders",
                reminders=reminders, before=_side_rows(reminders.get("before_due") or {}),
                after=_side_rows(reminders.get("after_due") or {}), templates=REMINDER_TEMPLATES,
                editable=viewer.can("PATCH", SETTINGS))


@router.post("/dashboard/settings/reminders")
async def save_reminders(request: Request, viewer: SignedIn):
    form = await form_of(request, viewer)

    async def save():
        channels = form.getlist("channels") or ["email"]
        body = {"reminders": {"before_due": _side(form, "before_due"), "after_due": _side(form, "after_due"),
                              "channels": channels}}
        return await viewer.api.patch(SETTINGS, json=body)
    return await attempt(request, "/dashboard/settings/reminders", "Reminder settings saved.", save())
