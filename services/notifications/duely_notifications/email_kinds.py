"""Every email the service sends, in one table: EMAIL_KINDS (at the bottom of this file).

A row says, for one kind of email:

- `template`: its name, stored on the message (and sent as X-Duely-Template), and the layout files
  it is rendered with (templates/; every kind shares email.txt and email.html, its words are labels);
- `cause`: what queues it (an event, or a Reminder built from dunning's reminder_due);
- `key`: its idempotency key, from its cause: a replayed event queues nothing new (domain/keys.py);
- `recipients`: To and Cc (none yet: taken from the invoice's snapshot when it is sent);
- `invoice_id`: the invoice it is about, rendered from that invoice's newest snapshot when it is
  sent; None for an email rendered from its facts alone;
- `facts`: what it keeps of its cause when it is queued;
- `context`: its template context, built when it is sent (domain/email_context.py);
- `attaches_pdf`: whether it carries the invoice's PDF (when the invoice's attach_pdf is true).

`Notifications.queue(kind, ...)` (service.py) stores one, composition.py renders it when it is sent.
Whether a queued email is still worth sending then is domain/relevance.py's call, and one invoice's
emails go out in order, its own email (invoice_issued) first (repository.claim_due_messages).

A new email is a row here, its labels (duely_presentation) and the consumer that queues it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Callable, Mapping, NamedTuple

from duely_contracts.events import (
    InvoiceIssued, InvoicePaymentApplied, InvoicePaymentFailed, PaymentMethodExpiring, PaymentRefunded,
    PortalLinkRequested, ReminderDue,
)
from duely_contracts.models import CustomerRef, InvoiceSnapshot
from duely_presentation.content import DocumentInput
from duely_presentation.receipt import ReceiptView
from duely_presentation.view import InvoiceView

from duely_notifications.domain import dashboard_emails, email_context, endpoint_disabled, keys
from duely_notifications.domain.payment_words import method_details


@dataclass(frozen=True)
class Reminder:
    """The cause of a reminder email: dunning's reminder_due (a timeline entry, or a manual reminder), with
    the invoice's snapshot when this service knows the invoice already. Without it, the email is queued
    with no recipients and takes them from the snapshot it waits for (composition.py)."""

    due: ReminderDue
    invoice: InvoiceSnapshot | None = None


@dataclass(frozen=True)
class PortalLink:
    """The cause of a portal sign-in email: portal.link_requested, with its event id (one email per event)."""

    event_id: str
    link: PortalLinkRequested


def reminder_facts(reminder: Reminder, data: Mapping[str, Any]) -> dict[str, Any]:
    """What dunning decided: the tone, the template asked for (a custom template may answer to it), the
    timeline step and where it came from."""
    due = reminder.due
    return {"tone": due.tone, "template": due.template, "step": due.step, "source": due.source,
            "channel": due.channel, "timer_id": due.timer_id, "days_from_due": due.days_from_due}


def reminder_day(facts: Mapping[str, Any], due_date: date | None, today: date) -> date:
    """The day a reminder (email or SMS) speaks of: the one dunning fired it on (its days from the due date, on
    the organization's clock, which a test clock may have moved), else today."""
    days = facts.get("days_from_due")
    if days is not None and due_date is not None:
        return due_date + timedelta(days=int(days))
    return today


class Recipients(NamedTuple):
    to: list[str]
    cc: list[str]


@dataclass(frozen=True)
class Material:
    """What an email is rendered from when it is sent."""

    facts: Mapping[str, Any]
    today: date
    view: InvoiceView | None = None        # the invoice's newest snapshot, as the PDF shows it
    document: DocumentInput | None = None
    payment: Mapping[str, Any] | None = None  # how the invoice was paid (kinds that reads_payment)
    pdf_note: str | None = None            # "attached" or "too large to attach", in the customer's language
    company: str = ""                      # the organization's name (for an email about no invoice)
    default_locale: str = "en_US"          # the language of an email whose cause names none
    receipt: ReceiptView | None = None     # the payment's receipt (kinds that attach_receipt)


@dataclass(frozen=True)
class EmailKind:
    template: str
    cause: type  # what queues it: an event, or a Reminder (dunning.reminder_due)
    key: Callable[[Any], str]
    recipients: Callable[[Any], Recipients]
    invoice_id: Callable[[Any], str | None]
    facts: Callable[[Any, Mapping[str, Any]], dict[str, Any]]  # (cause, the event's data as published)
    context: Callable[[Material], dict[str, Any]]
    attaches_pdf: bool = False
    attached_note: str = "email_pdf_attached"  # the label saying the PDF is attached
    reads_payment: bool = False  # the payment recorded from payment.succeeded, for how it was paid
    attaches_receipt: bool = False  # carries the payment's receipt PDF, rendered here (duely_presentation.receipt)
    names_company: bool = False  # the facts keep the organization's name as known when queued
    text_template: str = "email.txt"
    html_template: str = "email.html"


def customer_and_cc(customer: CustomerRef) -> Recipients:
    """To the customer, copied to its cc_emails (each once, never the customer's own address again)."""
    return Recipients([customer.email],
                      [address for address in dict.fromkeys(customer.cc_emails) if address != customer.email])


def no_facts(cause: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    return {}


def receipt_facts(applied: InvoicePaymentApplied, data: Mapping[str, Any]) -> dict[str, Any]:
    """The payment, and the invoice's balance right after it (a later payment must not change what this
    receipt says remained)."""
    return {"payment_id": applied.payment_id, "paid_at": applied.paid_at.isoformat(), "amount": applied.amount,
            "currency": applied.currency, "method_type": applied.method_type, "credit_added": applied.credit_added,
            "amount_due": applied.invoice.amount_due, "amount_paid": applied.invoice.amount_paid,
            "invoice_version": applied.invoice.version}


def failure_facts(failed: InvoicePaymentFailed, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"attempt_number": failed.attempt_number, "failure_code": failed.failure_code,
            "failure_reason": failed.failure_reason,
            "payment_method": failed.payment_method, "method_details": method_details(data),
            "amount": failed.amount, "currency": failed.currency, "failed_at": failed.failed_at.isoformat(),
            "autopay": failed.autopay}


def refund_facts(refunded: PaymentRefunded, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"refund_id": refunded.refund_id, "payment_id": refunded.payment_id, "amount": refunded.amount,
            "currency": refunded.currency, "reason": refunded.reason, "refunded_at": refunded.refunded_at.isoformat()}


def expiring_facts(expiring: PaymentMethodExpiring, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"brand": expiring.brand, "last4": expiring.last4, "exp_month": expiring.exp_month,
            "exp_year": expiring.exp_year, "customer_name": expiring.customer.name,
            "locale": expiring.customer.locale, "update_url": expiring.update_url,
            "organization_name": expiring.organization_name}


def portal_link_facts(cause: PortalLink, data: Mapping[str, Any]) -> dict[str, Any]:
    link = cause.link
    return {"customer_id": link.customer_id, "customer_name": link.customer_name, "url": link.url,
            "expires_at": link.expires_at.isoformat(), "requested_by": link.requested_by, "locale": link.locale,
            "organization_name": link.organization_name, "logo_url": link.logo_url,
            "accent_color": link.accent_color}


def receipt_key(applied: InvoicePaymentApplied) -> str:
    """One receipt per counted payment, partial or final (invoice.payment_succeeded; invoice.paid sends none)."""
    return keys.payment_receipt_key(applied.payment_id)


EMAIL_KINDS: dict[str, EmailKind] = {kind.template: kind for kind in (
    EmailKind(  # invoice.issued: the invoice, with its PDF
        template="invoice_issued", cause=InvoiceIssued,
        key=lambda issued: keys.invoice_issued_key(issued.invoice.id),
        recipients=lambda issued: customer_and_cc(issued.invoice.customer),
        invoice_id=lambda issued: issued.invoice.id,
        facts=no_facts,
        context=lambda sent: email_context.invoice_issued(sent.view, sent.pdf_note),
        attaches_pdf=True),
    EmailKind(  # dunning.reminder_due (channel email): the invoice again, gently, firmly or for the last time
        template="invoice_reminder", cause=Reminder,
        key=lambda reminder: keys.reminder_key(reminder.due.timer_id, "email"),
        recipients=lambda reminder: (customer_and_cc(reminder.invoice.customer) if reminder.invoice
                                     else Recipients([], [])),
        invoice_id=lambda reminder: reminder.due.invoice_id,
        facts=reminder_facts,
        context=lambda sent: email_context.reminder(sent.document, sent.view, sent.facts.get("tone", "gentle"),
                                                    reminder_day(sent.facts, sent.document.due_date
                                                                 if sent.document else None, sent.today),
                                                    sent.pdf_note),
        attaches_pdf=True),
    EmailKind(  # invoice.payment_succeeded: every counted payment's receipt, with its receipt PDF
        template="payment_receipt", cause=InvoicePaymentApplied,
        key=receipt_key,
        recipients=lambda applied: customer_and_cc(applied.invoice.customer),
        invoice_id=lambda applied: applied.invoice.id,
        facts=receipt_facts,
        context=lambda sent: email_context.receipt(sent.view, sent.receipt, sent.pdf_note),
        attached_note="email_receipt_attached", reads_payment=True, attaches_receipt=True),
    EmailKind(  # invoice.payment_failed: why, and how to pay
        template="payment_failed", cause=InvoicePaymentFailed,
        key=lambda failed: keys.payment_failed_key(failed.invoice_id, failed.attempt_number),
        recipients=lambda failed: customer_and_cc(failed.invoice.customer),
        invoice_id=lambda failed: failed.invoice_id,
        facts=failure_facts,
        context=lambda sent: email_context.payment_failed(sent.view, sent.facts)),
    EmailKind(  # payment.refunded: a payment invoicing could not count went back, in place of a receipt
        template="payment_refunded", cause=PaymentRefunded,
        key=lambda refunded: keys.payment_refunded_key(refunded.refund_id),
        recipients=lambda refunded: customer_and_cc(refunded.invoice.customer),
        invoice_id=lambda refunded: refunded.invoice_id,
        facts=refund_facts,
        context=lambda sent: email_context.refund(sent.view, sent.facts)),
    EmailKind(  # a webhook endpoint disabled after failing (webhooks/service.py): to the organization, not a customer
        template=endpoint_disabled.TEMPLATE, cause=endpoint_disabled.EndpointDisabled,
        key=endpoint_disabled.key,
        recipients=lambda disabled: Recipients(list(disabled.to), []),
        invoice_id=lambda disabled: None,
        facts=endpoint_disabled.facts,
        context=lambda sent: endpoint_disabled.context(sent.facts, sent.company),
        names_company=True),
    EmailKind(  # payment_method.expiring: about a card, not an invoice
        template="payment_method_expiring", cause=PaymentMethodExpiring,
        key=lambda expiring: keys.payment_method_expiring_key(expiring.payment_method_id, expiring.exp_month,
                                                              expiring.exp_year),
        recipients=lambda expiring: customer_and_cc(expiring.customer),
        invoice_id=lambda expiring: None,
        facts=expiring_facts,
        context=lambda sent: email_context.expiring(sent.facts, sent.company or "—",
                                                    sent.facts.get("locale") or sent.default_locale),
        names_company=True),
    EmailKind(  # portal.link_requested: a sign-in link to the customer portal, to the address on file only
        template="portal_link", cause=PortalLink,
        key=lambda cause: keys.portal_link_key(cause.event_id),
        recipients=lambda cause: Recipients([cause.link.email], []),
        invoice_id=lambda cause: None,
        facts=portal_link_facts,
        context=lambda sent: email_context.portal_link(sent.facts, sent.company or "—",
                                                       sent.facts.get("locale") or sent.default_locale)),
    EmailKind(  # user.invited: an invitation to the organization's dashboard, to the invited address only
        template=dashboard_emails.INVITE, cause=dashboard_emails.Invite,
        key=dashboard_emails.invite_key,
        recipients=lambda cause: Recipients([cause.invite.email], []),
        invoice_id=lambda cause: None,
        facts=dashboard_emails.invite_facts,
        context=lambda sent: dashboard_emails.invite_context(sent.facts, sent.company or "Duely"),
        names_company=True),
    EmailKind(  # user.sign_in_link_requested: a dashboard sign-in link, to the user's address only
        template=dashboard_emails.SIGN_IN, cause=dashboard_emails.SignInLink,
        key=dashboard_emails.sign_in_key,
        recipients=lambda cause: Recipients([cause.link.email], []),
        invoice_id=lambda cause: None,
        facts=dashboard_emails.sign_in_facts,
        context=lambda sent: dashboard_emails.sign_in_context(sent.facts, sent.company or "Duely"),
        names_company=True),
)}


def email_kind(template: str) -> EmailKind:
    try:
        return EMAIL_KINDS[template]
    except KeyError:
        raise ValueError(f"unknown email template {template!r}") from None

