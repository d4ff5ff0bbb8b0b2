"""Rendering a dashboard page: one Jinja2 environment, the layout's frame (user, organization, nav,
CSRF token, what the role may do), and filters for money and dates in the user's locale."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from babel.dates import format_date, format_datetime
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from duely_contracts.currency import format_amount
from duely_presentation.i18n import parse_locale
from duely_gateway.dashboard.labels import LABELS
from duely_gateway.dashboard.session import Viewer

HERE = Path(__file__).parent
TEMPLATES = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                        trim_blocks=True, lstrip_blocks=True)
LOCALE = parse_locale("en_US")

NAV = (  # (key, path, label): the layout's sections, in order
    ("home", "/dashboard", "dash_nav_home"),
    ("invoices", "/dashboard/invoices", "dash_nav_invoices"),
    ("customers", "/dashboard/customers", "dash_nav_customers"),
    ("subscriptions", "/dashboard/subscriptions", "dash_nav_subscriptions"),
    ("logs", "/dashboard/logs", "dash_nav_logs"),
    ("settings", "/dashboard/settings", "dash_nav_settings"),
    ("developers", "/dashboard/developers", "dash_nav_developers"),
    ("users", "/dashboard/users", "dash_nav_users"),
)


def money(amount: int | None, currency: str | None) -> str:
    if amount is None or not currency:
        return ""
    return format_amount(int(amount), currency.upper(), LOCALE)


def _parse(value) -> datetime | date | None:
    if isinstance(value, (date, datetime)) or value is None:
        return value
    text = str(value)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if "T" in text else date.fromisoformat(text)
    except ValueError:
        return None


def day(value) -> str:
    parsed = _parse(value)
    return format_date(parsed, format="medium", locale=LOCALE) if parsed else ""


def moment(value) -> str:
    parsed = _parse(value)
    if isinstance(parsed, datetime):
        return format_datetime(parsed, format="medium", tzinfo=parsed.tzinfo, locale=LOCALE) + " UTC"
    return day(parsed)


def to_json(value) -> Markup:
    """JSON for a <script type=application/json> island: '</' can't close the element."""
    return Markup(json.dumps(value, separators=(",", ":")).replace("</", "<\\/"))


TEMPLATES.filters.update(money=money, day=day, moment=moment, json_island=to_json)
TEMPLATES.globals.update(L=LABELS, NAV=NAV)


def _query_error(request: Request) -> dict | None:
    """A failed POST redirected back here with the API's message and the field it named."""
    message = request.query_params.get("error")
    return {"message": message, "param": request.query_params.get("param")} if message else None


def page(request: Request, template: str, viewer: Viewer | None = None, *, status: int = 200,
         active: str | None = None, **context) -> HTMLResponse:
    frame = {"viewer": viewer, "csrf": viewer.csrf if viewer else None, "active": active,
             "can": viewer.can if viewer else (lambda method, path: False),
             "notice": request.query_params.get("notice"), "path": request.url.path,
             "error": _query_error(request)}
    html = TEMPLATES.get_template(template).render(**{**frame, **context})
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
