"""Turning a posted form into an API body: numbers, lists and optional fields, with the field named when a
value cannot be read (the same error shape the API answers, so `attempt` shows it the same way)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from duely_contracts.currency import minor_unit_exponent
from duely_gateway.dashboard.api_client import ApiProblem
from duely_gateway.dashboard.session import Form


def bad(param: str, message: str) -> ApiProblem:
    return ApiProblem(400, "invalid_request", message, param)


def text_or_none(form: Form, key: str) -> str | None:
    value = form.get(key).strip()
    return value or None


def integer(value: str, param: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise bad(param, f"{param}: enter a whole number.") from None


def integer_or_none(form: Form, key: str) -> int | None:
    value = form.get(key).strip()
    return integer(value, key) if value else None


def checked(form: Form, key: str) -> bool:
    return form.get(key) in ("on", "true", "1", "yes")


def minor_units(value: str, currency: str, param: str) -> int | None:
    """'12.50' in USD → 1250. Empty → None."""
    value = value.strip().replace(",", "")
    if not value:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise bad(param, f"{param}: enter an amount such as 12.50.") from None
    scaled = amount.scaleb(minor_unit_exponent(currency.upper()))
    if scaled != scaled.to_integral_value():
        raise bad(param, f"{param}: too many decimals for {currency.upper()}.")
    return int(scaled)


def major(amount: int | None, currency: str) -> str:
    if amount is None:
        return ""
    return format(Decimal(amount).scaleb(-minor_unit_exponent(currency.upper())), "f")


def rows(form: Form, prefix: str, fields: tuple[str, ...], lists: tuple[str, ...] = ()) -> list[dict]:
    """Repeated rows posted as `{prefix}_row` = i and `{prefix}_{field}_{i}` (a row may be removed by the page's
    script, so the indexes can have gaps); fields in `lists` are checkbox groups; a row whose fields are all empty
    is left out."""
    out = []
    for index in form.getlist(f"{prefix}_row"):
        row: dict = {}
        for field in fields:
            values = form.getlist(f"{prefix}_{field}_{index}")
            row[field] = values if field in lists else (values[-1].strip() if values else "")
        if any(row.values()):
            out.append(row)
    return out
