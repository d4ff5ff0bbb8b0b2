"""A custom template's four parts rendered in the sandbox, checked when saved, chosen and used when sent.

What other code calls:
- `render_custom_template(template, variables)` → RenderedTemplate (subject, html, text, sms); raises
  PartProblem naming the part (`html`...) and the line;
- `choose(candidates, names, locale)` / `find_custom_template(session, organization_id, names, locale)`: the
  organization's template to use, in the lookup order (each name, exact locale then 'default');
- `custom_email(...)`: what the composer calls at send time; None (and a warning in the log) when the
  custom template fails, so the customer gets the built-in email instead;
- `custom_reminder_sms(session, organization_id, reminder, locale, variables)`: the same for a reminder's SMS
  text (for the SMS sender).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Iterable, Mapping, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from duely_presentation.content import from_snapshot
from duely_presentation.view import build_view

from duely_notifications.custom_templates import repository, sandbox
from duely_notifications.custom_templates.samples import sample_snapshot
from duely_notifications.custom_templates.variables import (
    expiring_variables, invoice_variables, lookup_order, names_for_email, variables_of,
)
from duely_notifications.rendering import RenderedEmail

log = logging.getLogger(__name__)

PARTS = ("subject", "html", "text", "sms")


class TemplateParts(Protocol):
    subject: str
    html: str
    text: str
    sms: str | None


@dataclass(frozen=True)
class Parts:
    subject: str
    html: str
    text: str
    sms: str | None = None


@dataclass(frozen=True)
class RenderedTemplate:
    subject: str
    html: str
    text: str
    sms: str | None = None

    def email(self) -> RenderedEmail:
        return RenderedEmail(subject=self.subject, text=self.text, html=self.html)


class PartProblem(Exception):
    """A part of a template (its `param`: subject, html, text or sms) is refused, or failed to render."""

    def __init__(self, part: str, problem: sandbox.TemplateProblem) -> None:
        super().__init__(f"{part}: {problem}")
        self.part = part
        self.problem = problem


def render_custom_template(template: TemplateParts, variables: Mapping[str, Any],
                           limits: sandbox.Limits = sandbox.Limits()) -> RenderedTemplate:
    """Every part rendered with `variables` (HTML autoescaped), each within the limits. The subject is one
    header line: whitespace collapsed, at most 998 characters."""
    out: dict[str, str | None] = {}
    for part in PARTS:
        source = getattr(template, part)
        if source is None:
            out[part] = None
            continue
        try:
            out[part] = sandbox.render(source, dict(variables), html=part == "html", limits=limits)
        except sandbox.TemplateProblem as problem:
            raise PartProblem(part, problem) from None
    subject = " ".join(str(out["subject"]).split())[:sandbox.SUBJECT_LIMIT]
    return RenderedTemplate(subject=subject, html=str(out["html"]), text=str(out["text"]), sms=out["sms"])


def check_custom_template(name: str, template: TemplateParts, organization_id: str, company: str, today: date,
                          limits: sandbox.Limits = sandbox.Limits()) -> None:
    """What saving refuses (PartProblem): a syntax error, a variable `name` does not have, each with its line,
    or a render that fails or exceeds a limit with sample data."""
    known = variables_of(name)
    for part in PARTS:
        source = getattr(template, part)
        if source is None:
            continue
        try:
            sandbox.check(source, known, html=part == "html", limits=limits)
        except sandbox.TemplateProblem as problem:
            raise PartProblem(part, problem) from None
    render_custom_template(template, sample_variables(name, organization_id, company, today), limits)


def sample_variables(name: str, organization_id: str, company: str, today: date,
                     locale: str = "en_US") -> dict[str, Any]:
    if name == "payment_method_expiring":
        return expiring_variables({"customer_name": "Jane Doe", "brand": "visa", "last4": "4242",
                                   "exp_month": today.month, "exp_year": today.year,
                                   "update_url": "https://billing.example.com/portal"}, company,
                                  ["jane.doe@example.com"])
    doc = from_snapshot(sample_snapshot(organization_id, company, locale, today, name))
    facts = {"failure_code": "card_declined"} if name == "payment_failed" else {}
    return invoice_variables(doc, build_view(doc), today, facts)


def choose(candidates: Iterable[Any], names: tuple[str, ...], locale: str | None) -> Any | None:
    by_key = {(c.name, c.locale): c for c in candidates}
    for key in lookup_order(names, locale):
        if key in by_key:
            return by_key[key]
    return None


async def find_custom_template(session: AsyncSession, organization_id: str, names: tuple[str, ...],
                               locale: str | None) -> Any | None:
    """The organization's custom template for the first of `names` it has, in `locale` or its 'default' one."""
    return choose(await repository.of_names(session, organization_id, names), names, locale)


async def custom_reminder_sms(session: AsyncSession, organization_id: str, reminder: Mapping[str, Any],
                              locale: str | None, variables: Callable[[], dict[str, Any]]) -> str | None:
    """The organization's own SMS text for a reminder (`reminder`: its `template`, e.g. invoice_reminder_firm,
    and/or `tone`), rendered with `variables` (invoice_variables(...)); None when it has none with an SMS
    part, or when it fails (logged): then the built-in SMS is sent."""
    names = names_for_email("invoice_reminder", reminder)
    candidates = [t for t in await repository.of_names(session, organization_id, names) if t.sms]
    chosen = choose(candidates, names, locale)
    if chosen is None:
        return None
    try:  # in a thread: it may take its whole time limit
        rendered = await asyncio.to_thread(sandbox.render, chosen.sms, dict(variables()), html=False)
    except sandbox.TemplateProblem as problem:
        log.warning("custom SMS template failed; the built-in SMS is sent instead",
                    extra={"template": chosen.name, "locale": chosen.locale, "error": str(problem)})
        return None
    return " ".join(rendered.split())  # one line, plain spaces (no-break spaces would make it UCS-2)


def custom_email(candidates: Iterable[Any], template: str, facts: Mapping[str, Any] | None, locale: str | None,
                 variables: Callable[[], dict[str, Any]], *, message_id: str | None = None) -> RenderedEmail | None:
    """At send time: the custom version of an email of kind `template`, or None for the built-in one (no custom
    template, or it failed: logged as a warning, and the customer still gets a correct email)."""
    chosen = choose(candidates, names_for_email(template, facts), locale)
    if chosen is None:
        return None
    try:
        return render_custom_template(chosen, variables()).email()
    except PartProblem as failed:
        log.warning("custom email template failed; the built-in email is sent instead",
                    extra={"message_id": message_id, "template": chosen.name, "locale": chosen.locale,
                           "part": failed.part, "error": str(failed.problem)})
        return None
