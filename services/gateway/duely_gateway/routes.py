"""Which service owns which path: a declarative table, checked in order, first match wins.

Specific sub-resources come before the catch-all, e.g. paying an invoice belongs
to payments although every other /v1/invoices path belongs to invoicing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ID = r"[^/]+"
TAIL = r"(?:/.*)?$"  # the collection itself or anything below it


@dataclass(frozen=True)
class Route:
    pattern: re.Pattern[str]
    service: str


def route(pattern: str, service: str) -> Route:
    return Route(re.compile(pattern), service)


ROUTES: tuple[Route, ...] = (
    route(rf"^/v1/invoices/{ID}/pay/?$", "payments"),
    route(rf"^/v1/invoices/{ID}/payment_attempts{TAIL}", "payments"),
    route(rf"^/v1/payments{TAIL}", "payments"),
    route(rf"^/v1/payment_attempts{TAIL}", "payments"),  # the attempts log across invoices
    route(r"^/v1/reports/collected/?$", "payments"),  # other /v1/reports/... are invoicing's
    route(r"^/v1/reports/dunning_outcomes/?$", "dunning"),
    route(rf"^/v1/payment_methods{TAIL}", "payments"),
    route(rf"^/v1/invoices/{ID}/payments{TAIL}", "payments"),  # manual payments recorded, and listed
    route(rf"^/v1/customers/{ID}/payment_methods{TAIL}", "payments"),
    route(rf"^/v1/customers/{ID}/payments{TAIL}", "payments"),  # several invoices paid with one charge
    route(rf"^/v1/customers/{ID}/portal_sessions{TAIL}", "portal"),  # the customer portal's sign-in links
    route(r"^/webhooks/stripe/?$", "payments"),  # the payment gateway's signed events
    route(rf"^/v1/invoices/{ID}/collection/?$", "dunning"),  # the invoice's collection timeline
    route(rf"^/v1/webhook_endpoints{TAIL}", "notifications"),
    route(rf"^/v1/webhook_deliveries{TAIL}", "notifications"),  # the delivery log across endpoints (?event_id=)
    route(rf"^/v1/messages{TAIL}", "notifications"),
    route(rf"^/v1/email_templates{TAIL}", "notifications"),  # custom email templates, their previews
    route(rf"^/v1/invoices/{ID}/remind/?$", "dunning"),  # on the invoice's timeline and its one-a-day ledger
    route(rf"^/v1/dunning(?:_\w+)?{TAIL}", "dunning"),  # /v1/dunning/..., /v1/dunning_schedules, ...
    route(rf"^/v1/test_clocks{TAIL}", "dunning"),
    route(r"^/i/.+$", "portal"),
    route(rf"^/portal{TAIL}", "portal"),
    route(r"^/v1/.+$", "invoicing"),
)


def service_for(path: str, routes: tuple[Route, ...] = ROUTES) -> str | None:
    """The service owning `path`, or None when no route matches."""
    for candidate in routes:
        if candidate.pattern.match(path):
            return candidate.service
    return None
