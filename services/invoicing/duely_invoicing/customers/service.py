"""Customers: create, read, and update (their invoice-setting overrides included)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts import events
from duely_contracts import tax_treatment as vat
from duely_contracts.models import InvoiceSettingOverrides
from duely_invoicing.credits import service as credits_service
from duely_invoicing.customers import repository, views
from duely_invoicing.customers.schemas import CustomerCreate, CustomerOverrides, CustomerPatch
from duely_invoicing.models import Customer
from duely_invoicing.payment_methods import service as payment_methods_service
from duely_invoicing.request_types import set_fields
from duely_runtime.errors import ApiError, found, invalid, not_found
from duely_runtime.kit.clock import utcnow
from duely_runtime.kit.ids import new_id
from duely_runtime.kit.pagination import Page
from duely_runtime.outbox import Outbox


async def create_customer(session: AsyncSession, outbox: Outbox, organization_id: str,
                          data: CustomerCreate) -> Customer:
    refuse_customer_without_vat_id(data.tax_treatment, data.tax_exempt, data.tax_id)
    customer_id = new_id("cus")
    if data.autopay is not None:  # a new customer has no saved method yet: naming one is a 400
        await payment_methods_service.check_named_method(session, organization_id, customer_id,
                                                         data.autopay.payment_method_id,
                                                         "autopay.payment_method_id")
    customer = Customer(id=customer_id, organization_id=organization_id, name=data.name, email=str(data.email),
                        cc_emails=[str(e) for e in data.cc_emails], phone=data.phone, sms_opt_in=data.sms_opt_in,
                        version=1, created_at=utcnow(), **customer_columns(data))
    session.add(customer)
    await session.flush()
    await _publish(session, outbox, "customer.created", events.CustomerCreated, customer)
    return customer


async def list_customers(session: AsyncSession, organization_id: str, limit: int) -> Page:
    return await repository.list_customers(session, organization_id, limit)


async def get_customer(session: AsyncSession, organization_id: str, customer_id: str) -> Customer:
    return found(await repository.get_customer(session, organization_id, customer_id), "customer", customer_id)


CUSTOMER_OVERRIDE_FIELDS = tuple(CustomerOverrides.model_fields)


def customer_columns(data: CustomerOverrides, *, only_set: bool = False) -> dict[str, Any]:
    values = set_fields(data) if only_set else data.model_dump(mode="json")
    return {name: value for name, value in values.items() if name in CUSTOMER_OVERRIDE_FIELDS}


def customer_invoice_settings(customer: Customer) -> InvoiceSettingOverrides:
    return InvoiceSettingOverrides(payment_terms=customer.payment_terms, currency=customer.currency,
                                   locale=customer.locale, attach_pdf=customer.attach_pdf, memo=customer.memo,
                                   cc_emails=list(customer.cc_emails or []), autopay=customer.autopay,
                                   accepted_payment_methods=customer.accepted_payment_methods,
                                   reminders=customer.reminders, late_fee=customer.late_fee,
                                   dunning_schedule_id=customer.dunning_schedule_id)


async def credit_balance(session: AsyncSession, organization_id: str, customer_id: str) -> dict[str, int] | None:
    """The customer's non-zero credit balances by currency; None when there is none."""
    return (await credits_service.balances(session, organization_id, [customer_id])).get(customer_id) or None


async def credit_balances(session: AsyncSession, organization_id: str,
                          customer_ids: list[str]) -> dict[str, dict[str, int]]:
    return await credits_service.balances(session, organization_id, customer_ids)


async def update_customer(session: AsyncSession, outbox: Outbox, organization_id: str, customer_id: str,
                          patch: CustomerPatch) -> Customer:
    """Partial update (absent = unchanged, null = inherit); publishes `customer.updated` when anything changed."""
    customer = await repository.get_customer_for_update(session, organization_id, customer_id)
    if customer is None:
        raise not_found("customer", customer_id)
    changes = set_fields(patch)
    for name in ("name", "email", "sms_opt_in"):
        if name in changes and changes[name] is None:
            raise invalid(name, f"{name} can't be null.")
    if "cc_emails" in changes and changes["cc_emails"] is None:
        changes["cc_emails"] = []
    changed = {name: value for name, value in changes.items() if getattr(customer, name) != value}
    if not changed:
        return customer
    after = {name: changed.get(name, getattr(customer, name)) for name in ("tax_treatment", "tax_exempt", "tax_id")}
    refuse_customer_without_vat_id(after["tax_treatment"], after["tax_exempt"], after["tax_id"])
    if changed.get("autopay"):
        await payment_methods_service.check_named_method(session, organization_id, customer.id,
                                                         changed["autopay"].get("payment_method_id"),
                                                         "autopay.payment_method_id")
    for name, value in changed.items():
        setattr(customer, name, value)
    customer.version += 1
    customer.updated_at = utcnow()
    await session.flush()
    await _publish(session, outbox, "customer.updated", events.CustomerUpdated, customer)
    return customer


async def _publish(session: AsyncSession, outbox: Outbox, event_type: str, event: type, customer: Customer) -> None:
    """customer.created / customer.updated: the customer as events carry it, with its invoice settings."""
    await outbox.emit(session, event_type,
                      event(organization_id=customer.organization_id, **views.customer_ref(customer).model_dump(),
                            invoice_settings=customer_invoice_settings(customer)),
                      organization_id=customer.organization_id, aggregate_id=customer.id,
                      aggregate_version=customer.version)


def refuse_customer_without_vat_id(treatment: str | None, tax_exempt: bool | None, tax_id: str | None) -> None:
    """A customer whose own treatment needs its VAT id (reverse charge, intra-Community supply) must have one."""
    if problem := vat.buyer_problem(vat.from_customer(treatment, tax_exempt), tax_id):
        raise ApiError(400, "parameter_missing" if problem.missing else "parameter_invalid", problem.message,
                       param="tax_id")
