"""Renders an email's subject, plain text and HTML parts from Jinja2 files.

Each template `<name>` has three files under templates/: `<name>.subject.txt`,
`<name>.txt` and `<name>.html`. Only the HTML part is autoescaped: a customer
named `<b>` stays text in the HTML and is shown as typed in the plain part.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATES = ("invoice_issued", "invoice_reminder", "payment_receipt", "payment_failed", "payment_method_expiring")


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


class EmailRenderer:
    def __init__(self, templates_dir: Path = TEMPLATES_DIR) -> None:
        self.env = Environment(
            loader=FileSystemLoader(str(templates_dir)),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            undefined=StrictUndefined,  # a missing variable is a bug, not an empty string in a customer's inbox
            keep_trailing_newline=True,
        )

    def render(self, template: str, context: dict[str, Any]) -> RenderedEmail:
        if template not in TEMPLATES:
            raise ValueError(f"unknown email template {template!r}")
        subject = self.env.get_template(f"{template}.subject.txt").render(context)
        return RenderedEmail(
            subject=" ".join(subject.split()),  # one line, whatever the template's whitespace
            text=_tidy(self.env.get_template(f"{template}.txt").render(context)),
            html=self.env.get_template(f"{template}.html").render(context),
        )


def _tidy(text: str) -> str:
    """Collapse the blank lines template tags leave behind into single blank lines."""
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if not line and out and not out[-1]:
            continue
        out.append(line)
    return "\n".join(out).strip() + "\n"
