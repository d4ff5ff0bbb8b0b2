"""From a claimed message to the email that goes out, at send time.

1. `plan` (in a transaction): read the invoice's newest snapshot from the read model. An email it
   made obsolete is skipped (domain/relevance.py); one whose invoice is not known here yet waits
   for its next attempt (events of different topics arrive in any order).
2. `Composer.compose` (no transaction): fetch the PDF when the invoice asks for it, then render
   the invoice part from the same InvoiceView as the PDF, in the customer's language, under the
   organization's name and reply-to.

Messages queued before emails were rendered at send time carry their bodies and no facts: they go
out as they were stored.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from email.headerregistry import Address
from typing import Any, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts.models import InvoiceSnapshot
from duely_presentation.cards import CARD_BRANDS
from duely_presentation.content import DocumentInput, from_snapshot
from duely_presentation.methods import DEBIT_TYPES
from duely_presentation.receipt import PaymentFacts, ReceiptView, build_receipt, render_receipt_pdf
from duely_presentation.view import InvoiceView, build_view
from duely_runtime.kit.clock import utcnow

from duely_notifications import repository as repo
from duely_notifications.config import Settings
from duely_notifications.custom_templates import repository as custom_repo
from duely_notifications.custom_templates.render import custom_email
from duely_notifications.custom_templates.variables import expiring_variables, invoice_variables, names_for_email
from duely_notifications.domain import sender as identity
from duely_notifications.domain.relevance import expired_link_reason, obsolete_reason
from duely_notifications.email_kinds import EMAIL_KINDS, EmailKind, Material, customer_and_cc, email_kind
from duely_notifications.invoice_pdfs import InvoicePdf, InvoicePdfs, PdfUnavailable, TooLarge
from duely_notifications.rendering import EmailRenderer


@dataclass(frozen=True)
class Skip:
    reason: str


@dataclass(frozen=True)
class Wait:
    reason: str


@dataclass(frozen=True)
class Defer:
    """Not now and not a failed attempt: the invoice's own email is still to go out first."""


@dataclass(frozen=True)
class Plan:
    row: dict[str, Any]
    snapshot: dict[str, Any] | None = None
    payment: dict[str, Any] | None = None
    organization_name: str | None = None
    custom_templates: tuple[Any, ...] = ()  # the organization's own versions of this email, every locale


@dataclass(frozen=True)
class Outgoing:
    row: dict[str, Any]
    subject: str
    text: str
    html: str
    sender: Address | str
    reply_to: str | None = None
    attachment: InvoicePdf | None = None


async def plan(session: AsyncSession, row: dict[str, Any]) -> Plan | Skip | Wait | Defer:
    if row.get("facts") is None:
        return Plan(row)  # rendered when it was queued
    organization_name = await repo.organization_name(session, row["organization_id"])
    custom = tuple(await custom_repo.of_names(session, row["organization_id"],
                                              names_for_email(row["template"], row["facts"])))
    if reason := expired_link_reason(row["template"], row["facts"], utcnow()):
        return Skip(reason)
    if row["invoice_id"] is None:
        return Plan(row, organization_name=organization_name, custom_templates=custom)
    invoice = await repo.get_invoice(session, row["organization_id"], row["invoice_id"])
    if invoice is None:
        return Wait(f"invoice {row['invoice_id']} is not known here yet (its invoice.issued has not arrived)")
    if reason := obsolete_reason(row["template"], invoice.status, int(invoice.snapshot.get("amount_due") or 0)):
        return Skip(reason)
    # The claim left it out while the invoice email was pending, but that one may have been queued
    # (with the invoice) just after the claim read the table.
    if row["template"] != "invoice_issued" and await repo.invoice_email_pending(session, row["invoice_id"],
                                                                                row["id"]):
        return Defer()
    payment = None
    kind = EMAIL_KINDS.get(row["template"])
    if kind is not None and kind.reads_payment and row["facts"].get("payment_id"):
        found = await repo.get_payment(session, row["facts"]["payment_id"])
        payment = {"payment_method": found.payment_method, "method_details": found.method_details} if found else None
    return Plan(row, invoice.snapshot, payment, organization_name, custom)


def presentation_of(snapshot: InvoiceSnapshot, default_locale: str) -> tuple[DocumentInput, InvoiceView]:
    """The invoice as the PDF shows it, in the customer's language (`default_locale` when it names none)."""
    document = from_snapshot(snapshot)
    if not (snapshot.locale or snapshot.customer.locale):
        document = dataclasses.replace(document, locale=default_locale)
    return document, build_view(document)


def receipt_of(snapshot: InvoiceSnapshot, facts: dict[str, Any], payment: dict[str, Any] | None,
               locale: str) -> ReceiptView:
    """The payment's receipt: the invoice as of that payment (its balance right after it, from the facts),
    and how it was paid (the payment.succeeded read model; a bank debit's last 4 from the AutoPay plan
    when the payment event named none)."""
    at_payment = snapshot.model_copy(update={
        "amount_due": int(facts.get("amount_due", snapshot.amount_due)),
        "amount_paid": int(facts.get("amount_paid", snapshot.amount_paid))})
    details = (payment or {}).get("method_details") or {}
    method_type = details.get("method_type") or facts.get("method_type") or "card"
    last4, brand = details.get("last4") or None, details.get("brand") or None
    test_card = str((payment or {}).get("payment_method") or "")
    if not brand and method_type == "card" and test_card.startswith("pm_card_"):  # the sandbox's ids name the brand
        brand = test_card[len("pm_card_"):].lower() if test_card[len("pm_card_"):].lower() in CARD_BRANDS else None
    plan = snapshot.autopay
    if not last4 and method_type in DEBIT_TYPES and plan and plan.payment_method \
            and plan.payment_method.type == method_type:
        last4 = plan.payment_method.last4
    return build_receipt(at_payment, PaymentFacts(
        payment_id=str(facts["payment_id"]), amount=int(facts["amount"]),
        currency=str(facts.get("currency") or snapshot.currency),
        paid_at=datetime.fromisoformat(str(facts["paid_at"]).replace("Z", "+00:00")), method_type=method_type,
        brand=brand, last4=last4, reference=details.get("reference"),
        credit_added=int(facts.get("credit_added") or 0)), locale=locale)


class Composer:
    def __init__(self, settings: Settings, pdfs: InvoicePdfs, renderer: EmailRenderer | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.settings = settings
        self.pdfs = pdfs
        self.renderer = renderer or EmailRenderer()
        self.clock = clock or utcnow  # "today" in UTC, whatever the host zone

    async def compose(self, plan: Plan) -> Outgoing:
        """Raises PdfUnavailable (not permanent) when the PDF should be attached and can't be fetched now."""
        row, facts = plan.row, plan.row.get("facts")
        if facts is None:
            return Outgoing(row, row["subject"], row["text_body"], row["html_body"], self.settings.smtp_from)
        kind = email_kind(row["template"])
        if plan.snapshot is None:
            return await self._about_no_invoice(plan, kind)
        snapshot = InvoiceSnapshot.model_validate(plan.snapshot)
        if not row["to"]:  # queued before its invoice was known here (a reminder): to its customer, as of now
            recipients = customer_and_cc(snapshot.customer)
            row = {**row, "to": recipients.to, "cc": recipients.cc}
        document, view = presentation_of(snapshot, self.settings.email_locale)
        receipt = receipt_of(snapshot, facts, plan.payment, document.locale) if kind.attaches_receipt else None
        if receipt is not None:
            pdf: InvoicePdf | TooLarge | None = InvoicePdf(
                receipt.filename, await asyncio.to_thread(render_receipt_pdf, receipt), snapshot.version)
        else:
            pdf = await self._pdf(row, kind, snapshot)
        note = None
        if isinstance(pdf, InvoicePdf):
            note = view.labels[kind.attached_note]
        elif isinstance(pdf, TooLarge):
            note = view.labels["email_pdf_too_large"]
        context = kind.context(Material(facts, self._today(), view=view, document=document, payment=plan.payment,
                                        pdf_note=note, receipt=receipt))
        # The organization's own template when it has one that renders; the built-in email otherwise.
        # (In a thread: a custom template may take its whole time limit.)
        custom = await asyncio.to_thread(
            custom_email, plan.custom_templates, kind.template, facts, document.locale,
            lambda: invoice_variables(document, view, self._today(), facts, list(row["to"])), message_id=row.get("id"))
        rendered = custom or self.renderer.render(kind.template, context)
        return Outgoing(row, rendered.subject, rendered.text, rendered.html,
                        identity.from_address(self.settings.smtp_from,
                                              identity.display_name(snapshot.issuer, snapshot.organization_name)),
                        identity.reply_to(snapshot.issuer), pdf if isinstance(pdf, InvoicePdf) else None)

    async def _pdf(self, row: dict[str, Any], kind: EmailKind,
                   snapshot: InvoiceSnapshot) -> InvoicePdf | TooLarge | None:
        if not kind.attaches_pdf or not snapshot.attach_pdf:
            return None
        try:
            return await self.pdfs.fetch(row["organization_id"], snapshot.id)
        except PdfUnavailable as unavailable:
            if unavailable.permanent:
                return None  # nothing to wait for: the email has the invoice page's link
            raise

    async def _about_no_invoice(self, plan: Plan, kind: EmailKind) -> Outgoing:
        """Rendered from its facts alone (an expiring card), under the organization's name."""
        facts = plan.row["facts"]
        company = facts.get("company") or facts.get("organization_name") or plan.organization_name or ""
        context = kind.context(Material(facts, self._today(), company=company,
                                        default_locale=self.settings.email_locale))
        custom = await asyncio.to_thread(
            custom_email, plan.custom_templates, kind.template, facts, facts.get("locale") or self.settings.email_locale,
            lambda: expiring_variables(facts, company, list(plan.row["to"])), message_id=plan.row.get("id"))
        rendered = custom or self.renderer.render(kind.template, context)
        return Outgoing(plan.row, rendered.subject, rendered.text, rendered.html,
                        identity.from_address(self.settings.smtp_from, company))

    def _today(self) -> date:
        return self.clock().date()
