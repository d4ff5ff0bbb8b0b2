"""Use cases of custom email templates: guard clauses, then the work, in the caller's transaction."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts.models import InvoiceSnapshot
from duely_runtime.errors import ApiError, invalid, not_found
from duely_runtime.kit.clock import utcnow
from duely_runtime.kit.ids import new_id

from duely_notifications import repository as notifications_repo
from duely_notifications.composition import Composer, Plan, presentation_of
from duely_notifications.config import Settings
from duely_notifications.custom_templates import repository
from duely_notifications.custom_templates.render import (
    PartProblem, Parts, check_custom_template, choose, render_custom_template,
)
from duely_notifications.custom_templates.samples import sample_facts, sample_snapshot
from duely_notifications.custom_templates.schemas import (
    EmailTemplateDeleted, EmailTemplateOut, EmailTemplatePreview, EmailTemplatePreviewRequest, EmailTemplateSave,
    EmailTemplateSummary,
)
from duely_notifications.custom_templates.starters import STARTERS
from duely_notifications.custom_templates.variables import (
    DEFAULT_LOCALE, REMINDER_NAMES, TEMPLATE_NAMES, expiring_variables, invoice_variables, names_for_email,
    normalized_locale, variables_of,
)
from duely_notifications.invoice_pdfs import InvoicePdfs
from duely_notifications.models import EmailTemplate
from duely_notifications.rendering import EmailRenderer


def problem_error(failed: PartProblem) -> ApiError:
    return invalid(failed.part, str(failed.problem), code=failed.problem.code)


class EmailTemplates:
    def __init__(self, settings: Settings, renderer: EmailRenderer | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.settings = settings
        self.renderer = renderer or EmailRenderer()
        self.clock = clock

    # -- guards -------------------------------------------------------------------

    @staticmethod
    def _name(name: str) -> str:
        if name not in TEMPLATE_NAMES:
            raise not_found("email template", name, param="name")
        return name

    @staticmethod
    def _locale(value: str | None) -> str:
        locale = normalized_locale(value)
        if locale is None:
            raise invalid("locale", f"'{value}' is not a known locale: use one like en_US or de_DE, or 'default'.")
        return locale

    async def _company(self, session: AsyncSession, organization_id: str) -> str:
        return await notifications_repo.organization_name(session, organization_id) or "Your company"

    # -- use cases ------------------------------------------------------------------

    async def summaries(self, session: AsyncSession, organization_id: str) -> list[EmailTemplateSummary]:
        locales: dict[str, list[str]] = {name: [] for name in TEMPLATE_NAMES}
        for row in await repository.all_of(session, organization_id):
            locales.setdefault(row.name, []).append(row.locale)
        return [EmailTemplateSummary(name=name, customized=bool(locales[name]), locales=locales[name])
                for name in TEMPLATE_NAMES]

    async def get(self, session: AsyncSession, organization_id: str, name: str, locale: str | None) -> EmailTemplateOut:
        name, locale = self._name(name), self._locale(locale)
        row = await repository.get(session, organization_id, name, locale)
        if row is not None:
            return _out(row, customized=True)
        starter = STARTERS[name]
        return EmailTemplateOut(name=name, locale=locale, customized=False, subject=starter.subject,
                                html=starter.html, text=starter.text, sms=starter.sms, variables=variables_of(name),
                                updated_at=None)

    async def save(self, session: AsyncSession, organization_id: str, name: str,
                   body: EmailTemplateSave) -> EmailTemplateOut:
        name, locale = self._name(name), self._locale(body.locale)
        parts = Parts(body.subject, body.html, body.text, body.sms)
        now = self.clock()
        company = await self._company(session, organization_id)
        try:  # in a thread: the trial render may take its whole time limit
            await asyncio.to_thread(check_custom_template, name, parts, organization_id, company, now.date())
        except PartProblem as failed:
            raise problem_error(failed) from None
        await repository.save(session, {
            "id": new_id("etpl"), "organization_id": organization_id, "name": name, "locale": locale,
            "subject": parts.subject, "html": parts.html, "text": parts.text, "sms": parts.sms,
            "created_at": now, "updated_at": now})
        row = await repository.get(session, organization_id, name, locale)
        assert row is not None
        return _out(row, customized=True)

    async def reset(self, session: AsyncSession, organization_id: str, name: str,
                    locale: str | None) -> EmailTemplateDeleted:
        name, locale = self._name(name), self._locale(locale)
        deleted = await repository.remove(session, organization_id, name, locale)
        return EmailTemplateDeleted(name=name, locale=locale, deleted=deleted)

    async def preview(self, session: AsyncSession, organization_id: str, name: str,
                      body: EmailTemplatePreviewRequest) -> EmailTemplatePreview:
        """The email as it would be sent: the draft or the custom template the lookup chooses, rendered with the
        invoice (or a sample); without one, the built-in email through the composer that sends it."""
        name = self._name(name)
        locale = self._locale(body.locale) if body.locale is not None else None
        company = await self._company(session, organization_id)
        now = self.clock()
        invoice = await self._invoice(session, organization_id, body.invoice_id, company, locale or "en_US", now, name)
        if locale and locale != DEFAULT_LOCALE:
            invoice = invoice.model_copy(update={"locale": locale})
        kind = "invoice_reminder" if name in REMINDER_NAMES else name
        facts = sample_facts(kind, name, invoice, now, company, locale or DEFAULT_LOCALE)
        recipients = [invoice.customer.email]
        if kind == "payment_method_expiring":
            render_locale, variables = facts.get("locale") or self.settings.email_locale, \
                expiring_variables(facts, company, recipients)
        else:
            document, view = presentation_of(invoice, self.settings.email_locale)
            render_locale, variables = document.locale, invoice_variables(document, view, now.date(), facts, recipients)

        chosen = await self._custom(session, organization_id, name, kind, facts, render_locale, body)
        if chosen is not None:
            try:
                rendered = await asyncio.to_thread(render_custom_template, chosen, variables)
            except PartProblem as failed:
                raise problem_error(failed) from None
            return EmailTemplatePreview(name=name, customized=True, template_name=getattr(chosen, "name", name),
                                        template_locale=getattr(chosen, "locale", locale or DEFAULT_LOCALE),
                                        subject=rendered.subject, html=rendered.html, text=rendered.text,
                                        sms=rendered.sms, variables=variables)
        built_in = await self._built_in(organization_id, kind, invoice, facts, company, recipients)
        return EmailTemplatePreview(name=name, customized=False, subject=built_in.subject, html=built_in.html,
                                    text=built_in.text, sms=None, variables=variables)

    # -- preview's parts ------------------------------------------------------------

    async def _invoice(self, session: AsyncSession, organization_id: str, invoice_id: str | None, company: str,
                       locale: str, now: datetime, name: str) -> InvoiceSnapshot:
        if invoice_id is None:
            return sample_snapshot(organization_id, company, locale, now.date(), name)
        invoice = await notifications_repo.get_invoice(session, organization_id, invoice_id)
        if invoice is None:
            raise not_found("invoice", invoice_id, param="invoice_id")
        return InvoiceSnapshot.model_validate(invoice.snapshot)

    async def _custom(self, session: AsyncSession, organization_id: str, name: str, kind: str,
                      facts: dict[str, Any], locale: str, body: EmailTemplatePreviewRequest) -> Any | None:
        """The draft (its parts over the saved or starter ones), else what the lookup chooses when it is sent."""
        draft = {part: getattr(body, part) for part in ("subject", "html", "text", "sms")
                 if getattr(body, part) is not None}
        names = names_for_email(kind, facts)
        saved = choose(await repository.of_names(session, organization_id, names), names, locale)
        if not draft:
            return saved
        base = saved if saved is not None and saved.name == name else STARTERS[name]
        parts = Parts(**{part: draft.get(part, getattr(base, part)) for part in ("subject", "html", "text", "sms")})
        company = await self._company(session, organization_id)
        try:
            await asyncio.to_thread(check_custom_template, name, parts, organization_id, company, self.clock().date())
        except PartProblem as failed:
            raise problem_error(failed) from None
        return parts

    async def _built_in(self, organization_id: str, kind: str, invoice: InvoiceSnapshot, facts: dict[str, Any],
                        company: str, recipients: list[str]):
        """The built-in email through the composer that sends it (without fetching the invoice PDF)."""
        about_invoice = kind != "payment_method_expiring"
        row = {"id": "msg_preview", "organization_id": organization_id, "template": kind, "facts": facts,
               "invoice_id": invoice.id if about_invoice else None, "to": recipients, "cc": [], "subject": None,
               "text_body": None, "html_body": None}
        snapshot = invoice.model_copy(update={"attach_pdf": False}).model_dump(mode="json") if about_invoice else None
        composer = Composer(self.settings, InvoicePdfs(
            self.settings.invoicing_url, self.settings.internal_secret,
            max_bytes=self.settings.email_attachment_max_bytes, timeout_s=self.settings.pdf_fetch_timeout_s),
                            self.renderer, self.clock)
        return await composer.compose(Plan(row, snapshot, None, company))


def _out(row: EmailTemplate, customized: bool) -> EmailTemplateOut:
    return EmailTemplateOut(name=row.name, locale=row.locale, customized=customized, subject=row.subject,
                            html=row.html, text=row.text, sms=row.sms, variables=variables_of(row.name),
                            updated_at=row.updated_at)
