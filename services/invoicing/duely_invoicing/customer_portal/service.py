"""What the customer portal asks of invoicing while a customer waits: who the customer is and how the portal
looks and behaves for them, their own AutoPay (when the organization lets customers manage it), and their drafts
(the portal's read model holds issued invoices only). Every read is scoped by the organization: another
organization's customer is a 404."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts.models import AutopaySettings, InvoiceSnapshot
from duely_invoicing.customer_portal.schemas import (
    PortalAutopayIn, PortalAutopayOut, PortalContextOut, PortalCustomer, PortalOrganization,
)
from duely_invoicing.customers import service as customers_service
from duely_invoicing.customers.schemas import CustomerPatch
from duely_invoicing.domain import settings_resolution as res
from duely_invoicing.invoices import repository as invoices_repository
from duely_invoicing.invoices import views as invoice_views
from duely_invoicing.models import Customer
from duely_invoicing.organizations import repository as organizations_repository
from duely_invoicing.payment_methods import service as payment_methods_service
from duely_invoicing.request_types import AutopayIn
from duely_invoicing.settings import repository as settings_repository
from duely_invoicing.settings.schemas import PortalSettings
from duely_invoicing.settings.service import customer_settings, organization_settings
from duely_runtime.errors import ApiError
from duely_runtime.outbox import Outbox


async def _settings_of(session: AsyncSession, organization_id: str,
                       customer: Customer) -> tuple[res.OrganizationSettings, res.ResolvedSettings]:
    organization = await organizations_repository.get_organization(session, organization_id)
    org = organization_settings(await settings_repository.find_settings(session, organization_id), organization)
    return org, res.resolve(org, customer_settings(customer))


def _autopay_out(resolved: res.ResolvedSettings) -> PortalAutopayOut:
    return PortalAutopayOut(autopay=AutopaySettings.model_validate(resolved["autopay"]),
                            autopay_source=resolved.source("autopay"))


async def portal_context(session: AsyncSession, organization_id: str, customer_id: str) -> PortalContextOut:
    customer = await customers_service.get_customer(session, organization_id, customer_id)
    org, resolved = await _settings_of(session, organization_id, customer)
    return PortalContextOut(
        customer=PortalCustomer(id=customer.id, name=customer.name, email=customer.email, locale=resolved["locale"]),
        organization=PortalOrganization(id=organization_id, name=resolved["company_name"],
                                        logo_url=resolved["logo_url"], accent_color=resolved["accent_color"],
                                        locale=org.locale or res.DEFAULTS["locale"]),
        portal=PortalSettings(**res.portal_settings(org)),
        accepted_payment_methods=list(resolved["accepted_payment_methods"]),
        **_autopay_out(resolved).model_dump())


async def set_customer_autopay(session: AsyncSession, outbox: Outbox, customer_id: str,
                               body: PortalAutopayIn) -> PortalAutopayOut:
    """The customer's own AutoPay, changed exactly as PATCH /v1/customers/{id} {"autopay": ...} changes it (same
    checks, same customer.updated), unless the organization keeps AutoPay in the merchant's hands."""
    customer = await customers_service.get_customer(session, body.organization_id, customer_id)
    org, _ = await _settings_of(session, body.organization_id, customer)
    if not res.portal_settings(org)["customer_autopay"]:
        raise ApiError(403, "autopay_not_customer_managed",
                       "This organization manages its customers' AutoPay itself (portal.customer_autopay is false).")
    await payment_methods_service.check_named_method(session, body.organization_id, customer.id,
                                                     body.payment_method_id, "payment_method_id")
    autopay = AutopayIn.model_validate(body.model_dump(exclude={"organization_id"}))
    customer = await customers_service.update_customer(session, outbox, body.organization_id, customer.id,
                                                       CustomerPatch(autopay=autopay))
    _, resolved = await _settings_of(session, body.organization_id, customer)
    return _autopay_out(resolved)


async def draft_invoices(session: AsyncSession, organization_id: str, customer_id: str) -> list[InvoiceSnapshot]:
    customer = await customers_service.get_customer(session, organization_id, customer_id)
    organization = await organizations_repository.get_organization(session, organization_id)
    drafts = await invoices_repository.customer_drafts(session, organization_id, customer.id)
    return [invoice_views.invoice_snapshot(invoice, organization) for invoice in drafts]
