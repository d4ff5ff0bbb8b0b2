"""Subscriptions: a customer's recurring agreement with its own invoice-setting overrides.

Plans and metering are out of scope; what matters here is the status
(active | paused | canceled, canceled is final) and the overrides that
invoices referencing the subscription inherit. Each change publishes
`subscription.created` / `subscription.updated` with the full state.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts import events
from duely_contracts.models import InvoiceSettingOverrides
from duely_invoicing.customers import repository as customers_repository
from duely_invoicing.domain import subscription_status as sub_status
from duely_invoicing.models import Subscription
from duely_invoicing.payment_methods import service as payment_methods_service
from duely_invoicing.request_types import set_fields
from duely_invoicing.subscriptions import repository
from duely_invoicing.subscriptions.schemas import SubscriptionCreate, SubscriptionPatch, SubscriptionSettings
from duely_runtime.errors import ApiError, conflict, found, not_found
from duely_runtime.kit.clock import utcnow
from duely_runtime.kit.ids import new_id
from duely_runtime.kit.pagination import Page
from duely_runtime.outbox import Outbox

SETTING_FIELDS = tuple(SubscriptionSettings.model_fields)


async def create_subscription(session: AsyncSession, outbox: Outbox, organization_id: str,
                              data: SubscriptionCreate) -> Subscription:
    customer = await customers_repository.get_customer(session, organization_id, data.customer_id)
    if customer is None:
        raise ApiError(400, "resource_missing", f"No such customer: '{data.customer_id}'", param="customer_id")
    settings = data.settings.model_dump(mode="json")
    await _check_autopay_method(session, organization_id, customer.id, settings.get("autopay"))
    now = utcnow()
    subscription = Subscription(
        id=new_id("sub"), organization_id=organization_id, customer_id=customer.id, description=data.description,
        status=sub_status.ACTIVE, **{**settings, "cc_emails": settings["cc_emails"] or []},
        version=1, created_at=now, updated_at=now)
    session.add(subscription)
    await session.flush()
    await _emit(session, outbox, "subscription.created", subscription, None)
    return subscription


async def get_subscription(session: AsyncSession, organization_id: str, subscription_id: str) -> Subscription:
    return found(await repository.get_subscription(session, organization_id, subscription_id),
                 "subscription", subscription_id)


async def list_subscriptions(session: AsyncSession, organization_id: str, *, limit: int, customer_id: str | None,
                             status: str | None) -> Page:
    return await repository.list_subscriptions(session, organization_id, limit=limit, customer_id=customer_id,
                                               status=status)


async def update_subscription(session: AsyncSession, outbox: Outbox, organization_id: str, subscription_id: str,
                              patch: SubscriptionPatch) -> Subscription:
    """Partial update of description, settings (absent = unchanged, null = inherit) and status."""
    subscription = await repository.get_subscription(session, organization_id, subscription_id,
                                                               for_update=True)
    if subscription is None:
        raise not_found("subscription", subscription_id)
    if sub_status.is_final(subscription.status):
        raise conflict("subscription_canceled", "This subscription is canceled; a canceled subscription can't "
                       "be changed.", param="status" if patch.status else None)
    if patch.status is not None and not sub_status.can_transition(subscription.status, patch.status):
        raise conflict("subscription_status_transition",
                       f"A subscription can't go from {subscription.status} to {patch.status}.", param="status")
    changes = {}
    if "description" in patch.model_fields_set:
        changes["description"] = patch.description
    if patch.settings is not None:
        changes.update(set_fields(patch.settings))
        if "cc_emails" in changes and changes["cc_emails"] is None:
            changes["cc_emails"] = []
    if patch.status is not None:
        changes["status"] = patch.status
    changed = {name: value for name, value in changes.items() if getattr(subscription, name) != value}
    if not changed:
        return subscription
    await _check_autopay_method(session, organization_id, subscription.customer_id, changed.get("autopay"))
    previous = subscription.status
    now = utcnow()
    for name, value in changed.items():
        setattr(subscription, name, value)
    if subscription.status == sub_status.CANCELED:
        subscription.canceled_at = now
    subscription.version += 1
    subscription.updated_at = now
    await session.flush()
    await _emit(session, outbox, "subscription.updated", subscription, previous)
    return subscription


async def _check_autopay_method(session: AsyncSession, organization_id: str, customer_id: str,
                                autopay: dict | None) -> None:
    if autopay:
        await payment_methods_service.check_named_method(session, organization_id, customer_id,
                                                         autopay.get("payment_method_id"),
                                                         "settings.autopay.payment_method_id")


async def _emit(session: AsyncSession, outbox: Outbox, event_type: str, subscription: Subscription,
                previous_status: str | None) -> None:
    event = events.SubscriptionChanged(
        id=subscription.id, organization_id=subscription.organization_id, customer_id=subscription.customer_id,
        description=subscription.description, status=subscription.status, previous_status=previous_status,
        invoice_settings=InvoiceSettingOverrides(**{name: getattr(subscription, name) for name in SETTING_FIELDS}),
        canceled_at=subscription.canceled_at)
    await outbox.emit(session, event_type, event, organization_id=subscription.organization_id,
                      aggregate_id=subscription.id, aggregate_version=subscription.version)
