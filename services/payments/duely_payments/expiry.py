"""Expiring cards: dunning's timeline says a saved card's expiry check fell due
(`dunning.payment_method_expiry_due`, the month before it expires); payments publishes
`payment_method.expiring` once per (method, exp_month, exp_year), if the card is still attached with that
expiry. Notifications emails the customer the link (`update_url`) where they save a new card: the portal's
`/portal/payment_methods/update/<token>`, signed like the hosted invoice links (duely_runtime.links) and
valid for `payment_method_link_ttl_days`; it names the organization, the customer and the card replaced."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts.events import PaymentMethodExpiring
from duely_contracts.models import CustomerRef
from duely_payments.models import ExpiryWarning
from duely_payments.payment_methods import repository as methods_repo
from duely_payments.payment_methods.service import DETACHED
from duely_runtime.kit.clock import utcnow
from duely_runtime.kit.ids import new_id
from duely_runtime.kit.writes import insert_ignore
from duely_runtime.links import payment_method_update_url

log = logging.getLogger(__name__)


def update_url(settings, organization_id: str, customer_id: str, payment_method_id: str) -> str:
    """A signed link to the portal's card update page, valid for the configured number of days."""
    expires_at = utcnow() + timedelta(days=settings.payment_method_link_ttl_days)
    return payment_method_update_url(settings.portal_url(), settings.hosted_link_secret, organization_id,
                                     customer_id, payment_method_id, expires_at)


async def warn_if_expiring(session: AsyncSession, outbox, envelope, event, *, settings,
                           organization_name: str | None) -> bool:
    """True when the warning was published now; False when not needed or already sent."""
    method = await methods_repo.get_method(session, envelope.organization_id, event.payment_method_id,
                                           for_update=True)
    if method is None or method.status == DETACHED or method.type != "card":
        return False
    if (method.exp_month, method.exp_year) != (event.exp_month, event.exp_year):
        return False  # the card was updated since the check was planned: a newer check covers it
    if not await insert_ignore(session, ExpiryWarning.__table__, {
            "id": new_id("pmexp"), "organization_id": method.organization_id, "payment_method_id": method.id,
            "exp_month": method.exp_month, "exp_year": method.exp_year, "created_at": utcnow()}):
        return False
    known = await methods_repo.get_gateway_customer(session, method.organization_id, method.customer_id)
    customer = CustomerRef.model_validate(known.customer)
    method.version += 1
    await session.flush()
    await outbox.emit(session, "payment_method.expiring", PaymentMethodExpiring(
        payment_method_id=method.id, customer=customer, brand=method.brand or "card", last4=method.last4 or "",
        exp_month=method.exp_month, exp_year=method.exp_year, organization_name=organization_name,
        update_url=update_url(settings, method.organization_id, method.customer_id, method.id),
    ), organization_id=method.organization_id, aggregate_id=method.id, aggregate_version=method.version)
    log.info("card expiry warning published", extra={"payment_method_id": method.id})
    return True
