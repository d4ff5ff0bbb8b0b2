"""Settings resolved for a customer (under a subscription): organization → customer → subscription,
with the source of each value (the rules: domain/settings_resolution.py). Invoices take theirs
through invoices/settings.py.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from duely_invoicing.customers import repository as customers_repository
from duely_invoicing.domain import settings_resolution as res
from duely_invoicing.models import Customer, Subscription
from duely_invoicing.organizations import repository as organizations_repository
from duely_invoicing.settings import repository
from duely_invoicing.settings.service import customer_settings, organization_settings, subscription_overrides
from duely_invoicing.subscriptions import repository as subscriptions_repository
from duely_runtime.errors import invalid, not_found


async def resolve(session: AsyncSession, organization_id: str, customer: Customer,
                  subscription: Subscription | None, invoice: res.Overrides | None = None) -> res.ResolvedSettings:
    organization = await organizations_repository.get_organization(session, organization_id)
    row = await repository.find_settings(session, organization_id)  # no row yet = all defaults
    return res.resolve(organization_settings(row, organization), customer_settings(customer),
                       subscription_overrides(subscription), invoice)


async def preview(session: AsyncSession, organization_id: str, customer_id: str,
                  subscription_id: str | None) -> tuple[res.ResolvedSettings, Customer, Subscription | None]:
    """What an invoice for this customer (under this subscription) would get now."""
    customer = await customers_repository.get_customer(session, organization_id, customer_id)
    if customer is None:
        raise not_found("customer", customer_id, param="customer_id")
    subscription = None
    if subscription_id:
        subscription = await subscriptions_repository.get_subscription(session, organization_id, subscription_id)
        if subscription is None:
            raise not_found("subscription", subscription_id, param="subscription_id")
        if subscription.customer_id != customer.id:
            raise invalid("subscription_id", f"Subscription '{subscription_id}' belongs to another customer.")
    return await resolve(session, organization_id, customer, subscription), customer, subscription
