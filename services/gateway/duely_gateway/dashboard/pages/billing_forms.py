"""Form fields → API bodies, shared by the customers, subscriptions and invoices pages: an AutoPay setting
(inherit, on or off with its timing and method), amounts typed in major units, lists typed one per line."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from duely_contracts.currency import minor_unit_exponent, to_major
from duely_gateway.dashboard.api_client import ApiProblem
from duely_gateway.dashboard.session import Form

AUTOPAY_TIMINGS = (("on_issue", "On issue (right away)"),
                   ("on_due_date", "On the due date"),
                   ("days_before_due", "N days before the due date"))
PAYMENT_METHODS = (("card", "Card"), ("ach_debit", "ACH (US bank)"), ("sepa_debit", "SEPA (EU bank)"),
                   ("wire_transfer", "Wire transfer"), ("check", "Check"))
TAX_TREATMENTS = (("", "Standard (tax applies)"), ("reverse_charge", "Reverse charge"),
                  ("intra_community_supply", "Intra-community supply"), ("export", "Export"), ("exempt", "Exempt"))
MANUAL_METHODS = (("wire_transfer", "Wire transfer"), ("check", "Check"), ("cash", "Cash"), ("card", "Card"),
                  ("other", "Other"))
REFUND_REASONS = (("requested_by_customer", "Requested by the customer"), ("duplicate", "Duplicate"),
                  ("fraudulent", "Fraudulent"), ("other", "Other"))


def autopay_body(form: Form) -> dict | None:
    """`autopay_mode` inherit → null (the level above decides); on/off → the whole setting."""
    mode = form.get("autopay_mode", "inherit")
    if mode == "inherit":
        return None
    timing = form.get("timing", "on_issue")
    body: dict = {"enabled": mode == "on", "timing": timing}
    if timing == "days_before_due":
        days = form.get("days_before_due").strip()
        if not days.isdigit():
            raise ApiProblem(400, "parameter_invalid", "Enter the number of days before the due date.",
                             "days_before_due")
        body["days_before_due"] = int(days)
    if method := form.get("payment_method_id").strip():
        body["payment_method_id"] = method
    return body


def autopay_mode(setting: dict | None) -> str:
    if not setting:
        return "inherit"
    return "on" if setting.get("enabled") else "off"


def minor_amount(text: str, currency: str, param: str = "amount", *, required: bool = False) -> int | None:
    """'12.50' in USD → 1250; blank → None (the API's default) unless required. A comma is refused rather
    than guessed at: '12,50' is 12.50 in much of Europe and 1250 elsewhere."""
    text = text.strip().replace(" ", "")
    if not text:
        if required:
            raise ApiProblem(400, "parameter_missing", "Enter an amount.", param)
        return None
    exponent = minor_unit_exponent(currency)
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value <= 0 or value != round(value, exponent):
        raise ApiProblem(400, "parameter_invalid",
                         f"Enter a positive amount with a dot for decimals (at most {exponent}) and no thousands "
                         "separator, e.g. 1250.50.", param)
    return int(value.scaleb(exponent))


def major_amount(amount: int | None, currency: str) -> str:
    return "" if amount is None else str(to_major(int(amount), currency))


def lines(text: str) -> list[str]:
    """One item a line (commas also split): cc addresses."""
    return [part.strip() for part in re.split(r"[\n,;]+", text) if part.strip()]


def method_label(method: dict) -> str:
    """'Visa •••• 4242 (exp 12/2030)' for a saved payment method."""
    kind = method.get("type")
    detail = method.get(kind) or {}
    if kind == "card":
        name = f"{(detail.get('brand') or 'card').title()} •••• {detail.get('last4') or '?'}"
        if detail.get("exp_month"):
            name += f" (exp {detail['exp_month']:02d}/{detail.get('exp_year')})"
    elif kind == "us_bank_account":
        name = f"{detail.get('bank_name') or 'US bank'} •••• {detail.get('last4') or '?'}"
    else:
        name = f"SEPA •••• {detail.get('last4') or '?'}"
    return name + (" · default" if method.get("is_default") else "")
