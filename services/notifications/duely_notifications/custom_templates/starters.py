"""The starter source of each template: what `GET /v1/email_templates/{name}` shows before the organization
customized it, written with the template variables, to edit and save. Until it is saved, the built-in email
(templates/email.*, in the customer's language, with the invoice table) is what goes out; the preview shows that.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    subject: str
    html: str
    text: str
    sms: str | None = None


def _invoice_email(intro: str, closing: str = "", button: str = "Pay now") -> tuple[str, str]:
    html = ("<p>Hello {{ customer_name }},</p>\n"
            f"<p>{intro}</p>\n"
            "<p>Amount due: <strong>{{ amount_due }}</strong>{% if due_date %}, due {{ due_date }}{% endif %}.</p>\n"
            + (f"<p>{closing}</p>\n" if closing else "")
            + f'<p><a href="{{{{ pay_now_url }}}}">{button}</a></p>\n'
            "<p>{{ company_name }}</p>\n")
    text = ("Hello {{ customer_name }},\n\n"
            f"{intro}\n\n"
            "Amount due: {{ amount_due }}{% if due_date %}, due {{ due_date }}{% endif %}.\n"
            + (f"{closing}\n" if closing else "")
            + f"\n{button}: {{{{ pay_now_url }}}}\n\n"
            "{{ company_name }}\n")
    return html, text


def _starter(subject: str, intro: str, closing: str = "", button: str = "Pay now",
             sms: str | None = None) -> Source:
    html, text = _invoice_email(intro, closing, button)
    return Source(subject, html, text, sms)


_REMINDER_SMS = ("{{ company_name }}: invoice {{ invoice_number }}, {{ amount_due }} due{% if due_date %} "
                 "{{ due_date }}{% endif %}. Pay: {{ pay_now_url }}")

STARTERS: dict[str, Source] = {
    "invoice_issued": _starter("Your invoice {{ invoice_number }} from {{ company_name }}",
                               "Your invoice {{ invoice_number }} from {{ company_name }} is ready.",
                               button="Review and pay"),
    "invoice_reminder": _starter("Reminder: invoice {{ invoice_number }} from {{ company_name }}",
                                 "This is a reminder that invoice {{ invoice_number }} is still open.",
                                 "If you have already paid, please disregard this email.", sms=_REMINDER_SMS),
    "invoice_reminder_gentle": _starter(
        "Friendly reminder: invoice {{ invoice_number }} from {{ company_name }}",
        "Just a friendly reminder that invoice {{ invoice_number }} is still open"
        "{% if days_overdue %} ({{ days_overdue }} days past due){% endif %}.",
        "If you have already paid, please disregard this email.", sms=_REMINDER_SMS),
    "invoice_reminder_firm": _starter(
        "Invoice {{ invoice_number }} from {{ company_name }} is past due",
        "Invoice {{ invoice_number }} is {{ days_overdue }} days overdue and remains unpaid. Please pay it now.",
        "If you have already paid, please disregard this email.", sms=_REMINDER_SMS),
    "invoice_reminder_final": _starter(
        "Final notice: invoice {{ invoice_number }} from {{ company_name }}",
        "This is our final notice for invoice {{ invoice_number }}, {{ days_overdue }} days overdue. "
        "Please pay it now to avoid further action.",
        "If you have already paid, please disregard this email.", sms=_REMINDER_SMS),
    "payment_receipt": _starter("Receipt for invoice {{ invoice_number }} from {{ company_name }}",
                                "Thank you: we received your payment for invoice {{ invoice_number }}. "
                                "Paid so far: {{ amount_paid }} of {{ total }}.", button="View invoice"),
    "payment_failed": _starter("Payment failed for invoice {{ invoice_number }} from {{ company_name }}",
                               "We could not collect the payment for invoice {{ invoice_number }}: "
                               "{{ failure_reason }}", "Please pay with another method."),
    "payment_method_expiring": Source(
        "Your {{ card_brand }} card ending in {{ card_last4 }} expires soon",
        "<p>Hello {{ customer_name }},</p>\n"
        "<p>Your {{ card_brand }} card ending in {{ card_last4 }}, used for payments to {{ company_name }}, "
        "expires {{ card_expiry }}.</p>\n"
        '{% if update_url %}<p><a href="{{ update_url }}">Update your payment method</a></p>\n{% endif %}'
        "<p>{{ company_name }}</p>\n",
        "Hello {{ customer_name }},\n\n"
        "Your {{ card_brand }} card ending in {{ card_last4 }}, used for payments to {{ company_name }}, "
        "expires {{ card_expiry }}.\n"
        "{% if update_url %}\nUpdate your payment method: {{ update_url }}\n{% endif %}\n"
        "{{ company_name }}\n"),
}
