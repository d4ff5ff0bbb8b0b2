"""Renders an email's subject, plain text and HTML from its context (domain/email_context.py).

Every email has the same shape (greeting, intro, facts, how to pay, the invoice, footer), so one
pair of Jinja2 files renders them all (each kind names its files in email_kinds.py):
templates/email.txt and templates/email.html, with the invoice part in _invoice.txt / _invoice.html.
The subject is one of the email labels, already filled in by the context. Only the HTML part is
autoescaped: a customer named `<b>` stays text in the HTML and is shown as typed in the plain part.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from duely_notifications.email_kinds import email_kind

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


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
        kind = email_kind(template)  # ValueError for a template no email kind has
        return RenderedEmail(
            subject=" ".join(str(context["subject"]).split()),  # one header line, whatever the names hold
            text=_tidy(self.env.get_template(kind.text_template).render(context)),
            html=self.env.get_template(kind.html_template).render(context),
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
