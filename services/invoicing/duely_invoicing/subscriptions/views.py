"""Subscription rows → API bodies."""

from __future__ import annotations

from duely_invoicing.models import Subscription
from duely_invoicing.subscriptions.schemas import SubscriptionOut, SubscriptionSettingsOut


def subscription_out(subscription: Subscription) -> SubscriptionOut:
    return SubscriptionOut(
        id=subscription.id, customer_id=subscription.customer_id, description=subscription.description,
        status=subscription.status,
        settings=SubscriptionSettingsOut(
            payment_terms=subscription.payment_terms, currency=subscription.currency, locale=subscription.locale,
            attach_pdf=subscription.attach_pdf, memo=subscription.memo,
            cc_emails=list(subscription.cc_emails or []), autopay=subscription.autopay,
            reminders=subscription.reminders, dunning_schedule_id=subscription.dunning_schedule_id),
        version=subscription.version, created_at=subscription.created_at,
        updated_at=subscription.updated_at, canceled_at=subscription.canceled_at)
