"""Customer rows → API bodies and the CustomerRef events carry."""

from __future__ import annotations

from typing import Any

from duely_contracts.models import CustomerRef
from duely_invoicing.customers.schemas import CustomerOut
from duely_invoicing.models import Customer

_CUSTOMER_EXTRAS = ("payment_terms", "currency", "locale", "attach_pdf", "memo", "tax_exempt", "tax_id",
                    "billing_address", "billing_contact", "tax_treatment", "tax_exemption_reason",
                    "tax_exemption_reason_code", "autopay", "accepted_payment_methods", "reminders", "late_fee",
                    "dunning_schedule_id", "phone")


def customer_extras(customer: Customer) -> dict[str, Any]:
    """The override and billing fields of CustomerOut."""
    return {**{name: getattr(customer, name) for name in _CUSTOMER_EXTRAS},
            "finance_contacts": list(customer.finance_contacts or []), "version": customer.version,
            "sms_opt_in": bool(customer.sms_opt_in)}


def customer_ref_extras(customer: Customer) -> dict[str, Any]:
    """The billing facts a CustomerRef carries (events about the customer)."""
    return {"billing_address": customer.billing_address, "tax_id": customer.tax_id,
            "tax_exempt": customer.tax_exempt, "billing_contact": customer.billing_contact,
            "finance_contacts": list(customer.finance_contacts or []), "locale": customer.locale,
            "tax_treatment": customer.tax_treatment,
            # A customer frozen on an invoice issued before these columns existed has neither: no phone, no consent.
            "phone": customer.phone, "sms_opt_in": bool(customer.sms_opt_in)}


def customer_out(customer: Customer, credit_balance: dict[str, int] | None = None) -> CustomerOut:
    return CustomerOut(id=customer.id, name=customer.name, email=customer.email,
                               cc_emails=list(customer.cc_emails or []), created_at=customer.created_at,
                               **customer_extras(customer), credit_balance=credit_balance)


def customer_ref(customer: Customer) -> CustomerRef:
    return CustomerRef(id=customer.id, name=customer.name, email=customer.email,
                       cc_emails=list(customer.cc_emails or []), **customer_ref_extras(customer))
