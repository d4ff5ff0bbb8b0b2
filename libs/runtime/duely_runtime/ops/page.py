"""Rendering of the ops pages (Jinja2 templates and static files shipped inside duely_runtime.ops)."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape

STATIC_DIR = Path(__file__).parent / "static"
STATIC_URL = "/ops/static"

CHARTS = (  # (key in a history sample, title, what it counts)
    ("lag", "Consumer lag", "events behind"),
    ("outbox_backlog", "Outbox backlog", "unpublished rows"),
    ("inbox_per_minute", "Events processed", "per minute"),
    ("dead_letters_open", "Dead letters open", "letters"),
    ("errors", "Errors logged", "per sample"),
)


def duration(seconds) -> str:
    if seconds is None:
        return "—"
    if seconds < 10 and seconds != int(seconds):
        return f"{seconds:.1f} s"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} d {seconds % 86400 // 3600} h"


def pretty_json(raw: str) -> str:
    try:
        return json.dumps(json.loads(raw), indent=2, sort_keys=True)
    except (ValueError, TypeError):
        return raw


def clock(iso: str | None) -> str:
    """'2026-11-30T13:05:02.123+00:00' → '13:05:02' (the full time is in a title attribute)."""
    return iso[11:19] if iso and len(iso) >= 19 else (iso or "")


_env = Environment(loader=PackageLoader("duely_runtime.ops", "templates"),
                   autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
_env.filters.update(duration=duration, pretty_json=pretty_json, clock=clock)
_env.globals.update(static=STATIC_URL, charts=CHARTS)


def render(template: str, status_code: int = 200, **context) -> HTMLResponse:
    return HTMLResponse(_env.get_template(template).render(**context), status_code=status_code,
                        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY",
                                 "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                                            "frame-ancestors 'none'; form-action 'self'"})


def install_static(app: FastAPI) -> None:
    """Chart.js (vendored, with its licence), the stylesheet and the page script: public, no data."""
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="ops-static")
